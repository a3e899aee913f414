import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  DEFAULT_THRESHOLDS, EndpointThresholds, FineTuningThresholds, MonitoringThresholds, SeverityThresholds, VectorStoreThresholds,
} from './thresholds';
import { EMAIL_ADDRESS, PropValidator } from '../common/validation';
import { FineTuningPipeline } from '../fine-tuning/fine-tuning-pipeline';
import { GpuInferenceEndpoint } from '../inference/gpu-inference-endpoint';
import { InferenceComponent } from '../inference/inference-component';
import { InferenceComponentEndpoint } from '../inference/inference-component-endpoint';
import { IInferenceEndpoint, INSTANCE_NAMESPACE, INVOCATION_NAMESPACE } from '../inference/inference-endpoint';
import { AuroraPgVectorStore } from '../vector-store/aurora-pgvector-store';
import { OpenSearchServerlessVectorStore } from '../vector-store/opensearch-serverless-vector-store';
import { IVectorStore } from '../vector-store/vector-store';

/** Alarm severity. */
export enum Severity {
  /** Someone should look during working hours. */
  WARNING = 'Warning',
  /** Someone should look now; critical alarms roll deployments back where wired. */
  CRITICAL = 'Critical',
}

/** How many periods an alarm evaluates. */
export interface EvaluationOptions {
  /**
   * Periods evaluated.
   * @default 3
   */
  readonly evaluationPeriods?: number;
  /**
   * Breaching periods (of `evaluationPeriods`) that fire the alarm.
   * @default - all of them
   */
  readonly datapointsToAlarm?: number;
}

/** Options of {@link LlmOpsMonitoring.monitorEndpoint}. */
export interface EndpointMonitoringOptions extends EvaluationOptions {
  /** @default - the facade's endpoint thresholds */
  readonly thresholds?: EndpointThresholds;
  /**
   * The variants to watch.
   * @default - every variant of a GpuInferenceEndpoint (the shadow included); the primary variant of an imported one
   */
  readonly variantNames?: string[];
  /**
   * GPUs per instance, to normalise GPU alarms (the raw metrics are 0–100 % × GPUs).
   * @default - the instance type's count for a GpuInferenceEndpoint; GPU alarms are skipped when unknown
   */
  readonly acceleratorCount?: number;
  /**
   * Wire the critical p99-latency and 5xx alarms of the primary variant as the endpoint's deployment rollback alarms.
   * @default true (for a GpuInferenceEndpoint)
   */
  readonly rollback?: boolean;
  /**
   * Inference components that scale to zero: alarm on the first request that fails because the component has no
   * instance (`NoCapacityInvocationFailures`, dimension InferenceComponentName).
   * @default - none
   */
  readonly scaleToZeroComponents?: string[];
}

/** Options of {@link LlmOpsMonitoring.monitorInferenceComponents}. */
export interface InferenceComponentMonitoringOptions extends EvaluationOptions {
  /** @default - the facade's endpoint thresholds (latency, error rates, GPU utilisation and idleness) */
  readonly thresholds?: EndpointThresholds;
}

/** Options of {@link LlmOpsMonitoring.monitorVectorStore}. */
export interface VectorStoreMonitoringOptions extends EvaluationOptions {
  /** @default - the facade's vector store thresholds */
  readonly thresholds?: VectorStoreThresholds;
}

/** Options of {@link LlmOpsMonitoring.monitorFineTuning}. */
export interface FineTuningMonitoringOptions {
  /** @default - the facade's fine-tuning thresholds */
  readonly thresholds?: FineTuningThresholds;
}

/** Props of {@link LlmOpsMonitoring}. */
export interface LlmOpsMonitoringProps {
  /**
   * The topic that alarm and OK actions notify.
   * @default - a new topic encrypted with `encryptionKey`, TLS-only
   */
  readonly topic?: sns.ITopic;
  /**
   * Key of the topic this construct creates (CloudWatch is allowed to use it).
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Email addresses subscribed to the topic.
   * @default - none
   */
  readonly alarmEmails?: string[];
  /** @default - the defaults in the README table */
  readonly thresholds?: MonitoringThresholds;
  /**
   * Name of the dashboard.
   * @default '<stack name>-llmops'
   */
  readonly dashboardName?: string;
  /**
   * Create the dashboard. Turn off where many facades would each make one (an {@link EndpointFleet}'s members
   * share one fleet dashboard) — widgets are then not built at all.
   * @default true
   */
  readonly createDashboard?: boolean;
  /**
   * First part of every alarm name: `<alarmNamePrefix>-<resource>-<signal>-<severity>`. Alarm names are unique per
   * account and region.
   * @default - the stack name
   */
  readonly alarmNamePrefix?: string;
}

/** One alarm signal: its metric, direction, thresholds (in the metric's unit) and missing-data treatment. */
interface Signal {
  readonly key: string;
  readonly metric: cloudwatch.IMetric;
  readonly direction: 'above' | 'below';
  /** Thresholds as the user gives them (ms, %, MiB, counts). */
  readonly thresholds: SeverityThresholds;
  /** Multiplier from the user's unit to the metric's. @default 1 */
  readonly factor?: number;
  /** The user's unit is a percentage (so at most 100). */
  readonly percent?: boolean;
  /** Fire at the threshold, not only above it (counts where a single event matters). */
  readonly inclusive?: boolean;
  readonly description: string;
  readonly missing?: cloudwatch.TreatMissingData;
  readonly evaluationPeriods?: number;
}


/**
 * One facade that watches an LLMOps stack: alarms with warning and critical thresholds for every endpoint, vector
 * store and fine-tuning pipeline, named `<stack>-<resource>-<signal>-<severity>`, notifying one encrypted topic
 * (alarm and OK actions); an anomaly band on invocations; a composite service-health alarm per endpoint; the
 * endpoint's deployment rollback alarms; and one dashboard built from the same metrics.
 */
export class LlmOpsMonitoring extends Construct {
  /** The topic every alarm notifies. */
  public readonly topic: sns.ITopic;
  /** The dashboard; undefined with `createDashboard: false`. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** Every alarm created, by name. */
  public readonly alarms: Record<string, cloudwatch.IAlarm> = {};

  private readonly thresholds: MonitoringThresholds;
  /** First part of every alarm name. */
  public readonly alarmNamePrefix: string;
  private readonly alarmStatus: cloudwatch.IAlarm[] = [];

  constructor(scope: Construct, id: string, props: LlmOpsMonitoringProps = {}) {
    super(scope, id);
    const v = new PropValidator('LlmOpsMonitoring', this);
    (props.alarmEmails ?? []).forEach((email, i) => {
      if (!Token.isUnresolved(email)) v.check(EMAIL_ADDRESS.test(email), 'LLMOPS_ALARM_EMAIL', `alarmEmails[${i}]`, email, 'is not an email address');
    });
    v.throwIfInvalid();
    this.thresholds = props.thresholds ?? {};

    if (props.topic) {
      this.topic = props.topic;
    } else {
      const key = props.encryptionKey ?? new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: `Alarm topic of ${this.node.path}` });
      // CloudWatch alarms and EventBridge rules (fine-tuning and training-job failures) publish with this key.
      for (const [sid, service] of [['AllowCloudWatchAlarmsToPublish', 'cloudwatch'], ['AllowEventBridgeToPublish', 'events']]) {
        key.addToResourcePolicy(new iam.PolicyStatement({
          sid,
          principals: [new iam.ServicePrincipal(`${service}.amazonaws.com`)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }));
      }
      this.topic = new sns.Topic(this, 'Topic', { masterKey: key, enforceSSL: true, displayName: `${Stack.of(this).stackName} alarms` });
    }
    for (const email of props.alarmEmails ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    this.alarmNamePrefix = props.alarmNamePrefix ?? Stack.of(this).stackName;
    if (props.createDashboard ?? true) {
      this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
        dashboardName: props.dashboardName ?? `${Stack.of(this).stackName}-llmops`,
        defaultInterval: Duration.hours(6),
      });
    }
  }

  /**
   * Watches an endpoint: latency, error rates, model errors, normalised GPU (memory) utilisation and idle GPUs, disk,
   * an invocations anomaly band, no-capacity failures (scale to zero), a composite service-health alarm, and the
   * deployment rollback alarms.
   */
  public monitorEndpoint(endpoint: IInferenceEndpoint, options: EndpointMonitoringOptions = {}): this {
    const t = { ...DEFAULT_THRESHOLDS.endpoint, ...this.thresholds.endpoint, ...options.thresholds };
    const gpusOf = (variantName: string) => options.acceleratorCount
      ?? (endpoint instanceof GpuInferenceEndpoint ? endpoint.variantInstanceTypes[variantName]?.acceleratorCount : undefined);
    const name = resourceName(endpoint);
    const v = new PropValidator('LlmOpsMonitoring', this);
    validateEvaluation(v, `monitorEndpoint(${name}) options`, options);
    v.range('LLMOPS_THRESHOLD_RANGE', `monitorEndpoint(${name}) thresholds.invocationsAnomalyStdDevs`, t.invocationsAnomalyStdDevs, 0.1, 10, 'standard deviations', true);
    const variants = options.variantNames
      ?? (endpoint instanceof GpuInferenceEndpoint ? Object.keys(endpoint.variantInstanceTypes) : [endpoint.primaryVariantName]);
    const criticals: cloudwatch.IAlarm[] = [];
    const rollback: cloudwatch.IAlarm[] = [];
    for (const variantName of variants) {
      const gpus = gpusOf(variantName);
      const prefix = variants.length > 1 ? `${name}-${variantName}` : name;
      const m = { variantName };
      const [latency, ...errorRates] = invocationSignals(t, endpoint, m);
      const signals: Signal[] = [
        latency,
        { key: 'OverheadLatency', metric: endpoint.metricOverheadLatency(m), direction: 'above', thresholds: t.overheadLatencyMs, factor: 1000, description: 'average overhead latency (thresholds in ms, metric in µs)' },
        ...errorRates,
        { key: 'DiskUtilization', metric: endpoint.metricDiskUtilization(m), direction: 'above', thresholds: t.diskPercent, percent: true, description: 'disk utilisation (%)' },
      ];
      if (gpus !== undefined) {
        signals.push(
          { key: 'GpuMemoryUtilization', metric: endpoint.metricGpuMemoryUtilization(m), direction: 'above', thresholds: t.gpuMemoryPercent, factor: gpus, percent: true, description: `GPU memory per GPU (thresholds in %, metric 0-${100 * gpus} % over ${gpus} GPUs)` },
          { key: 'GpuUtilization', metric: endpoint.metricGpuUtilization(m), direction: 'above', thresholds: t.gpuUtilizationPercent, factor: gpus, percent: true, description: `GPU utilisation per GPU (thresholds in %, metric 0-${100 * gpus} % over ${gpus} GPUs)` },
          {
            key: 'GpuIdle', metric: endpoint.metricGpuUtilization({ ...m, period: Duration.hours(1) }), direction: 'below',
            thresholds: t.gpuIdlePercent, factor: gpus, percent: true, evaluationPeriods: 6, missing: cloudwatch.TreatMissingData.NOT_BREACHING,
            description: `GPU utilisation per GPU near zero for 6 hours: idle capacity costs money (metric 0-${100 * gpus} %)`,
          },
        );
      }
      for (const s of signals) {
        const created = this.addSignal(v, prefix, s, options);
        if (created.critical) criticals.push(created.critical);
        if (variantName === endpoint.primaryVariantName && created.critical && ['ModelLatencyP99', 'Error5xxRate'].includes(s.key)) rollback.push(created.critical);
      }
      const anomaly = new cloudwatch.AnomalyDetectionAlarm(this, `${prefix}InvocationsAnomaly`, {
        alarmName: alarmName(this, prefix, 'InvocationsAnomaly', Severity.WARNING),
        alarmDescription: `Invocations of ${prefix} outside ${t.invocationsAnomalyStdDevs} standard deviations of their usual band (traffic lost or surging)`,
        metric: endpoint.metricInvocations({ ...m, period: Duration.minutes(5) }),
        stdDevs: t.invocationsAnomalyStdDevs,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_LOWER_OR_GREATER_THAN_UPPER_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.wire(anomaly);
    }
    for (const component of options.scaleToZeroComponents ?? []) {
      const created = this.addSignal(v, `${name}-${component.replace(/[^A-Za-z0-9]/g, '')}`, {
        key: 'NoCapacity', inclusive: true, direction: 'above', thresholds: { critical: 1 }, evaluationPeriods: 1,
        metric: new cloudwatch.Metric({
          namespace: INVOCATION_NAMESPACE, metricName: 'NoCapacityInvocationFailures', dimensionsMap: { InferenceComponentName: component },
          statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1),
        }),
        description: `requests that failed while ${component} had no instance (scale to zero)`,
      }, options);
      if (created.critical) criticals.push(created.critical);
    }
    v.throwIfInvalid();
    this.addServiceHealth(name, `Any critical alarm of ${name}`, criticals);
    if ((options.rollback ?? true) && endpoint instanceof GpuInferenceEndpoint) {
      // The alarms name the endpoint by its fixed name, so the endpoint may reference them without a cycle.
      for (const alarm of rollback) endpoint.addRollbackAlarm(alarm);
    }

    if (!this.dashboard) return this;
    const expr = mathExpressions();
    const ms = (metric: cloudwatch.IMetric, label: string) => expr(metric, '/ 1000', label);
    const pct = (metric: cloudwatch.IMetric, label: string, factor = 100) => expr(metric, `* ${factor}`, label);
    const primary = { variantName: endpoint.primaryVariantName };
    this.dashboard?.addWidgets(new cloudwatch.TextWidget({ markdown: `## Endpoint ${endpoint.endpointName}`, width: 24, height: 1 }));
    this.dashboard?.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Model latency (ms)', width: 8,
        left: ['p50', 'p90', 'p99'].map(stat => ms(endpoint.metricModelLatency({ ...primary, statistic: stat }), stat)),
      }),
      new cloudwatch.GraphWidget({ title: 'Invocations', width: 8, left: variants.map(variantName => endpoint.metricInvocations({ variantName, label: variantName })) }),
      new cloudwatch.GraphWidget({
        title: 'Error rates (%)', width: 8,
        left: variants.flatMap(variantName => [
          pct(endpoint.metricInvocation5xxErrors({ variantName }), `5xx ${variantName}`),
          pct(endpoint.metricInvocation4xxErrors({ variantName }), `4xx ${variantName}`),
          pct(endpoint.metricInvocationModelErrors({ variantName }), `model ${variantName}`),
        ]),
      }),
    );
    const gpuVariants = variants.filter(variantName => gpusOf(variantName) !== undefined);
    const gpuWidgets = gpuVariants.length === 0 ? [] : [
      new cloudwatch.GraphWidget({
        title: 'GPU utilisation per GPU (%)', width: 8,
        left: gpuVariants.map(variantName => pct(endpoint.metricGpuUtilization({ variantName }), variantName, 1 / gpusOf(variantName)!)),
      }),
      new cloudwatch.GraphWidget({
        title: 'GPU memory per GPU (%)', width: 8,
        left: gpuVariants.map(variantName => pct(endpoint.metricGpuMemoryUtilization({ variantName }), variantName, 1 / gpusOf(variantName)!)),
      }),
    ];
    this.dashboard?.addWidgets(
      ...gpuWidgets,
      new cloudwatch.GraphWidget({
        title: 'Instances (reporting)', width: 8,
        left: variants.map(variantName => endpoint.metric('CPUUtilization', { variantName, namespace: INSTANCE_NAMESPACE, statistic: 'SampleCount', label: variantName })),
      }),
    );
    return this;
  }

  /**
   * Watches every inference component of an endpoint built on them: per component p99 latency, 5xx, 4xx and model
   * error rates; per model component GPU utilisation and idleness on the normalised metrics (0–100 % of the copy's
   * reservation, whatever the GPU count); for a component that scales to zero (and its adapters), a warning on the
   * first request that found no copy (`NoCapacityInvocationFailures`): expected on every cold start, so no page.
   * Components added after this call are not watched. A composite service-health alarm covers the criticals, and
   * the dashboard gets latency, invocations, errors and GPU per component. SageMaker publishes no copy-count metric.
   */
  public monitorInferenceComponents(endpoint: InferenceComponentEndpoint, options: InferenceComponentMonitoringOptions = {}): this {
    const t = { ...DEFAULT_THRESHOLDS.endpoint, ...this.thresholds.endpoint, ...options.thresholds };
    const name = resourceName(endpoint);
    const v = new PropValidator('LlmOpsMonitoring', this);
    validateEvaluation(v, `monitorInferenceComponents(${name}) options`, options);
    const components = endpoint.inferenceComponents;
    const criticals: cloudwatch.IAlarm[] = [];
    for (const c of components) {
      const prefix = `${name}-${resourceName(c)}`;
      const signals: Signal[] = invocationSignals(t, c);
      if (c.base === undefined) {
        signals.push(
          { key: 'GpuUtilization', metric: c.metricGpuUtilizationNormalized(), direction: 'above', thresholds: t.gpuUtilizationPercent, percent: true, description: 'GPU utilisation of a copy, normalised to its reservation (%)' },
          { key: 'GpuMemoryUtilization', metric: c.metricGpuMemoryUtilizationNormalized(), direction: 'above', thresholds: t.gpuMemoryPercent, percent: true, description: 'GPU memory of a copy, normalised to its reservation (%)' },
        );
        // A component that scales to zero is not idle capacity: it releases its copies itself.
        if (!c.scalesToZero) {
          signals.push({
            key: 'GpuIdle', metric: c.metricGpuUtilizationNormalized({ period: Duration.hours(1) }), direction: 'below',
            thresholds: t.gpuIdlePercent, percent: true, evaluationPeriods: 6, missing: cloudwatch.TreatMissingData.NOT_BREACHING,
            description: 'GPU utilisation of a copy near zero for 6 hours: idle capacity costs money (normalised %)',
          });
        }
      }
      // Waking from zero is expected: a warning, not a page (and outside the service-health composite).
      if (c.scalesToZero || c.base?.scalesToZero) {
        signals.push({
          key: 'NoCapacity', inclusive: true, direction: 'above', thresholds: { warning: 1 }, evaluationPeriods: 1,
          metric: c.metricNoCapacityInvocationFailures(),
          description: 'requests that failed because no copy was running (the component is waking from zero)',
        });
      }
      for (const s of signals) {
        const created = this.addSignal(v, prefix, s, options);
        if (created.critical) criticals.push(created.critical);
      }
    }
    v.throwIfInvalid();
    this.addServiceHealth(name, `Any critical alarm of the inference components of ${name}`, criticals);
    const expr = mathExpressions();
    const label = (c: InferenceComponent) => c.node.id;
    this.dashboard?.addWidgets(new cloudwatch.TextWidget({ markdown: `## Endpoint ${endpoint.endpointName} (inference components)`, width: 24, height: 1 }));
    this.dashboard?.addWidgets(
      new cloudwatch.GraphWidget({ title: 'p99 model latency (ms)', width: 8, left: components.map(c => expr(c.metricModelLatency(), '/ 1000', label(c))) }),
      new cloudwatch.GraphWidget({ title: 'Invocations', width: 8, left: components.map(c => c.metricInvocations({ label: label(c) })) }),
      new cloudwatch.GraphWidget({ title: '5xx error rate (%)', width: 8, left: components.map(c => expr(c.metricInvocation5xxErrors(), '* 100', label(c))) }),
    );
    const models = components.filter(c => c.base === undefined);
    this.dashboard?.addWidgets(
      new cloudwatch.GraphWidget({ title: 'GPU utilisation per copy (%)', width: 12, left: models.map(c => c.metricGpuUtilizationNormalized({ label: label(c) })) }),
      new cloudwatch.GraphWidget({ title: 'Requests that found no copy', width: 12, left: components.map(c => c.metricNoCapacityInvocationFailures({ label: label(c) })) }),
    );
    return this;
  }

  /** Watches a vector store: OpenSearch Serverless search latency and errors, ingestion errors; Aurora capacity, CPU, connections, memory. */
  public monitorVectorStore(store: IVectorStore, options: VectorStoreMonitoringOptions = {}): this {
    const t = { ...DEFAULT_THRESHOLDS.vectorStore, ...this.thresholds.vectorStore, ...options.thresholds };
    const name = resourceName(store);
    const v = new PropValidator('LlmOpsMonitoring', this);
    validateEvaluation(v, `monitorVectorStore(${name}) options`, options);
    const five = { period: Duration.minutes(5) };
    let signals: Signal[] = [];
    if (store instanceof OpenSearchServerlessVectorStore) {
      signals = [
        { key: 'SearchLatency', metric: store.metricSearchLatency(five), direction: 'above', thresholds: t.searchLatencyMs, description: 'average search latency (ms)' },
        { key: 'SearchErrors', inclusive: true, metric: store.metricSearchErrors(five), direction: 'above', thresholds: t.searchErrors, description: 'failed searches per 5 minutes' },
        { key: 'IngestionErrors', inclusive: true, metric: store.metricIngestionErrors(five), direction: 'above', thresholds: t.ingestionErrors, description: 'failed ingestion requests per 5 minutes' },
      ];
    } else if (store instanceof AuroraPgVectorStore) {
      signals = [
        { key: 'CapacityUsed', metric: store.metricAcuUtilization(five), direction: 'above', thresholds: t.capacityPercent, percent: true, description: 'capacity used, % of maxCapacity' },
        { key: 'CpuUtilization', metric: store.metricCpuUtilization(five), direction: 'above', thresholds: t.cpuPercent, percent: true, description: 'CPU utilisation (%)' },
        { key: 'Connections', metric: store.metricDatabaseConnections(five), direction: 'above', thresholds: t.connections, description: 'open connections' },
        {
          key: 'FreeableMemory', metric: store.metric('FreeableMemory', { ...five, statistic: 'Minimum' }), direction: 'below',
          thresholds: t.freeableMemoryMiB, factor: 1024 * 1024, description: 'freeable memory (thresholds in MiB, metric in bytes)',
        },
      ];
    }
    for (const s of signals) this.addSignal(v, name, s, options);
    v.throwIfInvalid();
    if (signals.length > 0) {
      this.dashboard?.addWidgets(
        new cloudwatch.TextWidget({ markdown: `## Vector store ${name}`, width: 24, height: 1 }),
        ...signals.map(s => new cloudwatch.GraphWidget({ title: `${s.key}`, width: 24 / signals.length, left: [s.metric] })),
      );
    }
    return this;
  }

  /** Watches a fine-tuning pipeline: failed and timed-out executions (failed training jobs fail their execution). */
  public monitorFineTuning(pipeline: FineTuningPipeline, options: FineTuningMonitoringOptions = {}): this {
    const t = { ...DEFAULT_THRESHOLDS.fineTuning, ...this.thresholds.fineTuning, ...options.thresholds };
    const name = resourceName(pipeline);
    const v = new PropValidator('LlmOpsMonitoring', this);
    const hour = { period: Duration.hours(1) };
    const signals: Signal[] = [
      { key: 'FailedExecutions', inclusive: true, metric: pipeline.metricExecutionsFailed(hour), direction: 'above', thresholds: t.failedExecutions, evaluationPeriods: 1, description: 'failed fine-tuning executions per hour' },
      { key: 'TimedOutExecutions', inclusive: true, metric: pipeline.metricExecutionsTimedOut(hour), direction: 'above', thresholds: t.timedOutExecutions, evaluationPeriods: 1, description: 'timed-out fine-tuning executions per hour' },
    ];
    for (const s of signals) this.addSignal(v, name, s, { evaluationPeriods: 1 });
    v.throwIfInvalid();
    this.dashboard?.addWidgets(
      new cloudwatch.TextWidget({ markdown: `## Fine-tuning ${name}`, width: 24, height: 1 }),
      new cloudwatch.GraphWidget({
        title: 'Executions', width: 12,
        left: [pipeline.metricExecutionsSucceeded({ label: 'succeeded' }), pipeline.metricExecutionsFailed({ label: 'failed' }), pipeline.metricExecutionsTimedOut({ label: 'timed out' })],
      }),
      new cloudwatch.GraphWidget({ title: 'Execution time (ms)', width: 12, left: [pipeline.metricExecutionTime()] }),
    );
    return this;
  }

  /** Adds the alarm status widget (call once, after every monitor* call; LlmOpsStack does). */
  public addAlarmStatusWidget(): this {
    if (this.alarmStatus.length > 0) {
      this.dashboard?.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarmStatus, width: 24, height: Math.min(12, 2 + Math.ceil(this.alarmStatus.length / 4)) }));
    }
    return this;
  }

  private addSignal(v: PropValidator, resource: string, s: Signal, options: EvaluationOptions): { warning?: cloudwatch.Alarm; critical?: cloudwatch.Alarm } {
    const prop = `thresholds for ${resource} ${s.key}`;
    const { warning, critical } = s.thresholds;
    for (const [level, value] of [['warning', warning], ['critical', critical]] as const) {
      if (value === undefined || Token.isUnresolved(value)) continue;
      v.check(Number.isFinite(value) && value > 0, 'LLMOPS_THRESHOLD_RANGE', `${prop}.${level}`, value, 'must be greater than 0');
      if (s.percent) v.check(value <= 100, 'LLMOPS_THRESHOLD_RANGE', `${prop}.${level}`, value, 'is a percentage above 100');
    }
    if (warning !== undefined && critical !== undefined && !Token.isUnresolved(warning) && !Token.isUnresolved(critical)) {
      const ok = s.direction === 'above' ? warning <= critical : warning >= critical;
      v.check(ok, 'LLMOPS_THRESHOLD_ORDER', `${prop}.warning`, warning,
        `is looser than critical (${critical}) in the wrong direction; this alarm fires ${s.direction} its threshold, so warning must be ${s.direction === 'above' ? 'at most' : 'at least'} critical`);
    }
    if (v.hasProblems) return {};
    const created: { warning?: cloudwatch.Alarm; critical?: cloudwatch.Alarm } = {};
    const scaled = scale(s.thresholds, s.factor ?? 1);
    for (const [severity, threshold] of [[Severity.WARNING, scaled.warning], [Severity.CRITICAL, scaled.critical]] as const) {
      if (threshold === undefined) continue;
      const evaluationPeriods = s.evaluationPeriods ?? options.evaluationPeriods ?? 3;
      const alarm = new cloudwatch.Alarm(this, `${resource}${s.key}${severity}`, {
        alarmName: alarmName(this, resource, s.key, severity),
        alarmDescription: `${severity}: ${s.description} of ${resource}`,
        metric: s.metric,
        threshold,
        evaluationPeriods,
        datapointsToAlarm: s.evaluationPeriods ?? options.datapointsToAlarm ?? evaluationPeriods,
        comparisonOperator: s.direction === 'below' ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
          : s.inclusive ? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: s.missing ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.wire(alarm);
      created[severity === Severity.WARNING ? 'warning' : 'critical'] = alarm;
    }
    return created;
  }

  /** The composite service-health alarm of `name`: any of `criticals` (none is created without criticals). */
  private addServiceHealth(name: string, description: string, criticals: cloudwatch.IAlarm[]): void {
    if (criticals.length === 0) return;
    this.wire(new cloudwatch.CompositeAlarm(this, `${name}ServiceHealth`, {
      compositeAlarmName: alarmName(this, name, 'ServiceHealth', Severity.CRITICAL),
      alarmDescription: description,
      alarmRule: cloudwatch.AlarmRule.anyOf(...criticals),
    }));
  }

  private wire(alarm: cloudwatch.Alarm | cloudwatch.CompositeAlarm): void {
    const action = new actions.SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms[alarm.node.id] = alarm;
    this.alarmStatus.push(alarm);
  }
}

/** The metrics of requests that an endpoint (per variant) and an inference component both publish. */
interface InvocationMetrics<P> {
  metricModelLatency(props?: P): cloudwatch.IMetric;
  metricInvocation5xxErrors(props?: P): cloudwatch.IMetric;
  metricInvocation4xxErrors(props?: P): cloudwatch.IMetric;
  metricInvocationModelErrors(props?: P): cloudwatch.IMetric;
}

/** The thresholds of the request signals, defaults applied. */
type InvocationThresholds = Required<Pick<EndpointThresholds, 'modelLatencyP99Ms' | 'error5xxPercent' | 'error4xxPercent' | 'modelErrorPercent'>>;

/** The request signals of an endpoint variant or a component, in alarm order: p99 latency, 5xx, 4xx and model error rates. */
function invocationSignals<P>(t: InvocationThresholds, source: InvocationMetrics<P>, props?: P): Signal[] {
  return [
    { key: 'ModelLatencyP99', metric: source.metricModelLatency(props), direction: 'above', thresholds: t.modelLatencyP99Ms, factor: 1000, description: 'p99 model latency (thresholds in ms, metric in µs)' },
    { key: 'Error5xxRate', metric: source.metricInvocation5xxErrors(props), direction: 'above', thresholds: t.error5xxPercent, factor: 0.01, percent: true, description: '5xx error rate (thresholds in %, metric 0-1)' },
    { key: 'Error4xxRate', metric: source.metricInvocation4xxErrors(props), direction: 'above', thresholds: t.error4xxPercent, factor: 0.01, percent: true, description: '4xx error rate (thresholds in %, metric 0-1)' },
    { key: 'ModelErrorRate', metric: source.metricInvocationModelErrors(props), direction: 'above', thresholds: t.modelErrorPercent, factor: 0.01, percent: true, description: 'model error rate (thresholds in %, metric 0-1)' },
  ];
}

/**
 * Builds one-metric math expressions (`<id> <op>`, 1-minute period) with ids `m0`, `m1`, ...: each expression of a
 * graph needs its own metric id.
 */
function mathExpressions(): (metric: cloudwatch.IMetric, op: string, label: string) => cloudwatch.MathExpression {
  let n = 0;
  return (metric, op, label) => {
    const id = `m${n++}`;
    return new cloudwatch.MathExpression({ expression: `${id} ${op}`, usingMetrics: { [id]: metric }, label, period: Duration.minutes(1) });
  };
}

/** `thresholds` multiplied into the metric's unit. */
function scale(t: SeverityThresholds, factor: number): SeverityThresholds {
  const mul = (x: number | undefined) => (x === undefined || Token.isUnresolved(x) ? x : Math.round(x * factor * 1e6) / 1e6);
  return { warning: mul(t.warning), critical: mul(t.critical) };
}

function validateEvaluation(v: PropValidator, prop: string, o: EvaluationOptions): void {
  const periods = o.evaluationPeriods ?? 3;
  v.range('LLMOPS_EVALUATION_PERIODS', `${prop}.evaluationPeriods`, o.evaluationPeriods, 1, 100);
  if (o.datapointsToAlarm !== undefined && v.range('LLMOPS_EVALUATION_PERIODS', `${prop}.datapointsToAlarm`, o.datapointsToAlarm, 1, 100)) {
    v.check(o.datapointsToAlarm <= periods, 'LLMOPS_EVALUATION_PERIODS', `${prop}.datapointsToAlarm`, o.datapointsToAlarm,
      `exceeds evaluationPeriods (${periods}); allowed: at most evaluationPeriods`);
  }
}

/** A readable resource name for alarm names: the construct id. */
function resourceName(resource: Construct | IInferenceEndpoint | IVectorStore): string {
  return (resource as Construct).node.id.replace(/[^A-Za-z0-9]/g, '');
}

/** `<alarmNamePrefix>-<resource>-<signal>-<severity>` (the prefix defaults to the stack name), stable and readable. */
function alarmName(monitoring: LlmOpsMonitoring, resource: string, signal: string, severity: Severity): string {
  return `${monitoring.alarmNamePrefix}-${resource}-${signal}-${severity}`;
}

