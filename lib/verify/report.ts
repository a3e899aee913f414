import { formatDuration } from './options';

/** Stable codes of the reasons `llmops verify` fails, for CI to match on. */
export type VerifyFailureCode =
  | 'STACK_NOT_FOUND' // DescribeStacks: the stack does not exist in the account and region
  | 'STACK_STATUS' // the stack failed, rolled back, is being deleted or was never deployed
  | 'NO_ENDPOINT' // the stack has no SageMaker endpoint to check
  | 'ENDPOINT_UNHEALTHY' // an endpoint is Failed, OutOfService, Deleting, UpdateRollbackFailed or not found
  | 'VARIANT_UNHEALTHY' // an InService endpoint's production variant is busy or has no instance
  | 'INFERENCE_COMPONENT_UNHEALTHY' // an inference component is Failed, Deleting or not found
  | 'TIMEOUT' // something was still in progress when --timeout ran out
  | 'ALARM' // one of the stack's alarms is in ALARM
  | 'SMOKE_FAILED' // the smoke request returned an error
  | 'SMOKE_TIMEOUT' // the smoke request took longer than --smoke-timeout
  | 'AWS_ERROR'; // any other AWS error (credentials, permissions, region, persistent throttling)

/** One reason the verification failed. */
export interface VerifyFailure {
  readonly code: VerifyFailureCode;
  readonly message: string;
}

/** One production variant of an endpoint, as last seen. */
export interface VariantReport {
  readonly name: string;
  /** @default - not reported (serverless variants have no instances) */
  readonly currentInstanceCount?: number;
  /** @default - not reported */
  readonly desiredInstanceCount?: number;
  /** The variant's in-progress statuses (Creating, Updating, Baking, ...); empty when it is settled. */
  readonly statuses: readonly string[];
  /** Whether the variant passes: see `judgeVariant`. */
  readonly healthy: boolean;
  /** Why the variant passes or fails, when it is not plain (e.g. "scaled to zero"). */
  readonly note?: string;
}

/** One SageMaker endpoint of the stack, as last seen. */
export interface EndpointReport {
  readonly name: string;
  /** EndpointStatus, or `NotFound`. */
  readonly status: string;
  /** @default - none reported */
  readonly failureReason?: string;
  readonly variants: readonly VariantReport[];
}

/** One inference component of the stack, as last seen. */
export interface InferenceComponentReport {
  readonly name: string;
  /** InferenceComponentStatus, or `NotFound`. */
  readonly status: string;
  /** @default - none reported */
  readonly failureReason?: string;
  /** @default - not reported (adapter components have no copies of their own) */
  readonly currentCopyCount?: number;
  /** @default - not reported */
  readonly desiredCopyCount?: number;
}

/** The stack's alarms: how many were checked and which are in ALARM. */
export interface AlarmsReport {
  /** Alarms of the stack that CloudWatch described (metric and composite). */
  readonly checked: number;
  readonly inAlarm: ReadonlyArray<{ readonly name: string; readonly reason?: string }>;
}

/** The smoke request: what was called and how it went. Bodies are never recorded. */
export interface SmokeReport {
  readonly endpointName: string;
  /** @default - the endpoint itself (not an inference-component endpoint) */
  readonly inferenceComponentName?: string;
  /** `ok`, `failed` or `timeout`; `skipped` when the endpoints were not healthy. */
  readonly result: 'ok' | 'failed' | 'timeout' | 'skipped';
  /** @default - not measured (skipped) */
  readonly latencyMs?: number;
  /** Length of the response body in bytes; the body itself is never printed. @default - no response */
  readonly responseBytes?: number;
  /** @default - no response */
  readonly contentType?: string;
  /** The error name and, unless it may echo model output, its message. @default - no error */
  readonly error?: string;
}

/** Everything `llmops verify` found; `--json` prints exactly this. */
export interface VerifyReport {
  /** Bumped when a field changes meaning or goes away. */
  readonly schemaVersion: 1;
  /** True when there is no failure. */
  readonly ok: boolean;
  readonly stackName: string;
  /** @default - the region could not be resolved */
  readonly region?: string;
  /** @default - the stack was not found */
  readonly stackStatus?: string;
  /** Stack outputs; values of keys containing Secret, Token or Password are `<redacted>`. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly endpoints: readonly EndpointReport[];
  readonly inferenceComponents: readonly InferenceComponentReport[];
  /** @default - not checked (the stack was not found or not deployed) */
  readonly alarms?: AlarmsReport;
  /** @default - no smoke request was asked for, or the stack was not found */
  readonly smoke?: SmokeReport;
  readonly failures: readonly VerifyFailure[];
  readonly elapsedMs: number;
}

/** The report as pretty-printed JSON, with a trailing newline. */
export function renderJson(report: VerifyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The report as text for people: one line per stack, endpoint, variant, component, alarm summary and smoke. */
export function renderText(r: VerifyReport): string {
  const lines: string[] = [];
  const row = (label: string, text: string): void => { lines.push(`${label.padEnd(10)} ${text}`); };
  lines.push(`llmops verify: ${r.stackName}${r.region ? ` (${r.region})` : ''}: ${r.ok ? 'HEALTHY' : 'FAILED'} in ${formatDuration(r.elapsedMs)}`);
  if (r.stackStatus) row('stack', r.stackStatus);
  for (const [key, value] of Object.entries(r.outputs)) row('output', `${key} = ${value}`);
  for (const e of r.endpoints) {
    row('endpoint', `${e.name}: ${e.status}${e.failureReason ? ` (${e.failureReason})` : ''}`);
    for (const v of e.variants) {
      const count = v.currentInstanceCount === undefined ? '' : ` ${v.currentInstanceCount}/${v.desiredInstanceCount ?? '?'} instances`;
      const statuses = v.statuses.length ? ` ${v.statuses.join(', ')}` : '';
      row('  variant', `${v.name}:${count}${statuses} ${v.healthy ? 'ok' : 'UNHEALTHY'}${v.note ? ` (${v.note})` : ''}`);
    }
  }
  for (const c of r.inferenceComponents) {
    const copies = c.currentCopyCount === undefined ? '' : `, ${c.currentCopyCount}/${c.desiredCopyCount ?? '?'} copies`;
    row('component', `${c.name}: ${c.status}${copies}${c.failureReason ? ` (${c.failureReason})` : ''}`);
  }
  if (r.alarms) {
    row('alarms', `${r.alarms.checked} checked, ${r.alarms.inAlarm.length} in ALARM`);
    for (const a of r.alarms.inAlarm) row('  ALARM', a.name);
  }
  if (r.smoke) {
    const s = r.smoke;
    const target = s.inferenceComponentName ? `${s.endpointName} / ${s.inferenceComponentName}` : s.endpointName;
    const detail = s.result === 'ok' ? `ok in ${s.latencyMs} ms, ${s.responseBytes} bytes${s.contentType ? ` of ${s.contentType}` : ''}`
      : s.result === 'skipped' ? 'skipped: the endpoints are not healthy'
        : `${s.result}${s.latencyMs === undefined ? '' : ` after ${s.latencyMs} ms`}${s.error ? `: ${s.error}` : ''}`;
    row('smoke', `${target}: ${detail}`);
  }
  for (const f of r.failures) lines.push(`FAILED [${f.code}] ${f.message}`);
  return `${lines.join('\n')}\n`;
}
