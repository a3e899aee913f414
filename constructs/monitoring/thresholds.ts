// Alarm thresholds per severity, with defaults for LLM serving. Every threshold is in the unit its name says
// (ms, %, count, MiB); the monitoring facade converts to the metric's own unit (ModelLatency is in microseconds,
// GPU metrics are 0–100 % × GPU count).

/** A warning and a critical threshold; leave one out to create only the other alarm. */
export interface SeverityThresholds {
  /** Threshold of the warning alarm. @default - the signal's default (see the README table) */
  readonly warning?: number;
  /** Threshold of the critical alarm (pages someone; rolls deployments back where wired). @default - the signal's default */
  readonly critical?: number;
}

/** Thresholds of an inference endpoint's alarms. */
export interface EndpointThresholds {
  /**
   * p99 model latency, in **milliseconds**. InvokeEndpoint gives a container at most 60 s, so keep critical below it.
   * @default - warning 20 000, critical 45 000
   */
  readonly modelLatencyP99Ms?: SeverityThresholds;
  /** Average overhead latency, in milliseconds. @default - warning 200, critical 1 000 */
  readonly overheadLatencyMs?: SeverityThresholds;
  /** 5xx error rate, in percent. @default - warning 1, critical 5 */
  readonly error5xxPercent?: SeverityThresholds;
  /** 4xx error rate, in percent. @default - warning 5, critical 20 */
  readonly error4xxPercent?: SeverityThresholds;
  /** Model error rate (errors and timeouts in the container), in percent. @default - warning 1, critical 5 */
  readonly modelErrorPercent?: SeverityThresholds;
  /**
   * GPU memory utilisation per GPU, in percent. TGI and vLLM pre-allocate free GPU memory for their KV cache, so it
   * sits at 90-98 % on an idle server: no alarm by default; set thresholds for engines that do not pre-allocate.
   * @default - no alarm (the dashboard still shows it)
   */
  readonly gpuMemoryPercent?: SeverityThresholds;
  /** GPU utilisation per GPU, in percent (saturation). @default - warning 90, no critical */
  readonly gpuUtilizationPercent?: SeverityThresholds;
  /** GPU utilisation per GPU below which capacity is idle (paid for, unused), over 6 hours. @default - warning 5, no critical */
  readonly gpuIdlePercent?: SeverityThresholds;
  /** Disk utilisation, in percent. @default - warning 80, critical 90 */
  readonly diskPercent?: SeverityThresholds;
  /** Width of the invocations anomaly band, in standard deviations (> 0). @default 3 */
  readonly invocationsAnomalyStdDevs?: number;
}

/** Thresholds of a vector store's alarms (each applies to the kinds that publish the signal). */
export interface VectorStoreThresholds {
  /** OpenSearch Serverless: average search latency, in milliseconds. @default - warning 500, critical 2 000 */
  readonly searchLatencyMs?: SeverityThresholds;
  /** OpenSearch Serverless: failed searches per 5 minutes. @default - warning 1, critical 10 */
  readonly searchErrors?: SeverityThresholds;
  /** OpenSearch Serverless: failed ingestion requests per 5 minutes. @default - warning 1, critical 10 */
  readonly ingestionErrors?: SeverityThresholds;
  /** Aurora: capacity used, in percent of maxCapacity. @default - warning 80, critical 95 */
  readonly capacityPercent?: SeverityThresholds;
  /** Aurora: CPU utilisation, in percent. @default - warning 80, critical 95 */
  readonly cpuPercent?: SeverityThresholds;
  /**
   * Aurora: open connections. Serverless v2 derives max_connections from maxCapacity (about 190 per ACU), so pick
   * a threshold for your range.
   * @default - no alarm
   */
  readonly connections?: SeverityThresholds;
  /** Aurora: freeable memory below this, in MiB. @default - warning 512, critical 256 */
  readonly freeableMemoryMiB?: SeverityThresholds;
}

/** Thresholds of a fine-tuning pipeline's alarms. */
export interface FineTuningThresholds {
  /** Failed executions (training, gate or registration) per hour. @default - critical 1 */
  readonly failedExecutions?: SeverityThresholds;
  /** Timed-out executions per hour. @default - critical 1 */
  readonly timedOutExecutions?: SeverityThresholds;
}

/** Thresholds of every monitored kind. */
export interface MonitoringThresholds {
  /** @default - the endpoint defaults */
  readonly endpoint?: EndpointThresholds;
  /** @default - the vector store defaults */
  readonly vectorStore?: VectorStoreThresholds;
  /** @default - the fine-tuning defaults */
  readonly fineTuning?: FineTuningThresholds;
}

/** The defaults, as documented in the README table. */
export const DEFAULT_THRESHOLDS = {
  endpoint: {
    modelLatencyP99Ms: { warning: 20_000, critical: 45_000 },
    overheadLatencyMs: { warning: 200, critical: 1_000 },
    error5xxPercent: { warning: 1, critical: 5 },
    error4xxPercent: { warning: 5, critical: 20 },
    modelErrorPercent: { warning: 1, critical: 5 },
    gpuMemoryPercent: {},
    gpuUtilizationPercent: { warning: 90 },
    gpuIdlePercent: { warning: 5 },
    diskPercent: { warning: 80, critical: 90 },
    invocationsAnomalyStdDevs: 3,
  },
  vectorStore: {
    searchLatencyMs: { warning: 500, critical: 2_000 },
    searchErrors: { warning: 1, critical: 10 },
    ingestionErrors: { warning: 1, critical: 10 },
    capacityPercent: { warning: 80, critical: 95 },
    cpuPercent: { warning: 80, critical: 95 },
    connections: {},
    freeableMemoryMiB: { warning: 512, critical: 256 },
  },
  fineTuning: {
    failedExecutions: { critical: 1 },
    timedOutExecutions: { critical: 1 },
  },
} as const;
