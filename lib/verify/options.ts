import { parseArgs } from 'node:util';

/** What `llmops verify` checks and how long it may take. */
export interface VerifyOptions {
  /** The CloudFormation stack to verify, e.g. `LlmOps-prod`. */
  readonly stackName: string;
  /**
   * The AWS region of the stack.
   * @default - the SDK's: AWS_REGION, then the profile's region
   */
  readonly region?: string;
  /** How long to wait for the stack, endpoints and inference components to settle, in milliseconds. */
  readonly timeoutMs: number;
  /** How often to poll their status while waiting, in milliseconds. */
  readonly pollMs: number;
  /**
   * The JSON body of one smoke request to the endpoint, sent once everything is healthy.
   * @default - no smoke request
   */
  readonly smokeBody?: string;
  /** How long the smoke request may take, in milliseconds. */
  readonly smokeTimeoutMs: number;
  /** Print the report as JSON instead of text. */
  readonly json: boolean;
}

/** Defaults of the CLI flags. */
export const VERIFY_DEFAULTS = {
  project: 'LlmOps',
  timeout: '30m',
  poll: '15s',
  smokeTimeout: '60s',
} as const;

/** The `llmops verify` help text. */
export const VERIFY_USAGE = `Usage: llmops verify --env <name> [options]

Post-deploy gate: finds the stack <project>-<env>, waits until its endpoints and inference
components are InService, checks every production variant, fails if any of the stack's alarms
is in ALARM, and optionally sends one smoke request to the endpoint.

Options:
  --env <name>            environment, e.g. dev, staging, prod (required unless --stack)
  --project <name>        project name, the stack name's prefix (default: ${VERIFY_DEFAULTS.project})
  --stack <name>          stack name (default: <project>-<env>)
  --region <region>       AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's)
  --timeout <duration>    how long to wait for InService (default: ${VERIFY_DEFAULTS.timeout})
  --poll <duration>       time between status checks while waiting (default: ${VERIFY_DEFAULTS.poll})
  --smoke <json>          send this JSON body to the endpoint once it is healthy
  --smoke-file <path>     send the JSON body in this file instead
  --smoke-timeout <dur>   how long the smoke request may take (default: ${VERIFY_DEFAULTS.smokeTimeout})
  --json                  print the report as JSON on stdout (progress stays on stderr)
  -h, --help              print this help

Durations: 500ms, 90s, 15m, 1h (a bare number is seconds).
Exit codes: 0 healthy; 1 verification failed (the reason is printed); 2 bad usage.
The report never contains smoke request or response bodies, or the values of outputs whose
name contains Secret, Token or Password.
`;

/** Bad command-line input: the CLI prints the message and the usage, and exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The result of parsing the command line: options to run with, or a request for help. */
export type ParsedVerifyArgs = { readonly help: true } | { readonly help: false; readonly options: VerifyOptions };

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `500ms`, `90s`, `15m`, `1h` or `90` (seconds) into milliseconds.
 * @throws UsageError naming `flag` when the text is not a positive duration
 */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * UNITS[match[2] ?? 's'] : NaN;
  if (!(ms > 0)) throw new UsageError(`${flag}: expected a positive duration like 90s, 15m or 1h; got '${text}'`);
  return ms;
}

/** Formats milliseconds as `45s`, `2m30s` or `1h5m`, for progress lines and messages. */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms < 1_000) return `${Math.round(ms)}ms`;
  const total = Math.round(ms / 1_000);
  const h = Math.floor(total / 3_600);
  const m = Math.floor((total % 3_600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m > 0 ? `${m}m` : ''}`;
  if (m > 0) return `${m}m${s > 0 ? `${s}s` : ''}`;
  return `${s}s`;
}

// CloudFormation stack names: a letter, then letters, digits and hyphens, 128 characters at most.
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * Parses `llmops verify ...` arguments (without `node` and the script path; the first one must be `verify`).
 * @param argv e.g. `['verify', '--env', 'prod', '--json']`
 * @param env the process environment, for the region fallbacks
 * @param readFile reads the `--smoke-file` (its content is never printed)
 * @throws UsageError on any bad input, with a message that names the flag
 */
export function parseVerifyArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): ParsedVerifyArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'env': { type: 'string' },
        'project': { type: 'string' },
        'stack': { type: 'string' },
        'region': { type: 'string' },
        'timeout': { type: 'string' },
        'poll': { type: 'string' },
        'smoke': { type: 'string' },
        'smoke-file': { type: 'string' },
        'smoke-timeout': { type: 'string' },
        'json': { type: 'boolean' },
        'help': { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { help: true };
  if (positionals[0] !== 'verify') {
    throw new UsageError(positionals.length === 0 ? 'missing command: verify' : `unknown command '${positionals[0]}'; the only command is verify`);
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);

  if (v.stack === undefined && !v.env) throw new UsageError('--env is required (or give --stack)');
  const stackName = v.stack ?? `${v.project ?? VERIFY_DEFAULTS.project}-${v.env}`;
  if (!STACK_NAME.test(stackName)) {
    throw new UsageError(`stack name '${stackName}' is not a CloudFormation stack name; allowed: a letter, then letters, digits and '-', at most 128`);
  }
  if (v.smoke !== undefined && v['smoke-file'] !== undefined) throw new UsageError('give --smoke or --smoke-file, not both');

  let smokeBody = v.smoke;
  let smokeFlag = '--smoke';
  if (v['smoke-file'] !== undefined) {
    smokeFlag = '--smoke-file';
    try {
      smokeBody = readFile(v['smoke-file']);
    } catch (e) {
      throw new UsageError(`--smoke-file: cannot read '${v['smoke-file']}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  if (smokeBody !== undefined) {
    try {
      JSON.parse(smokeBody);
    } catch {
      // Not the parser's message: it quotes the text, and the body may hold sensitive data.
      throw new UsageError(`${smokeFlag}: the smoke request body is not valid JSON`);
    }
  }

  const [regionSource, region] = v.region !== undefined ? ['--region', v.region]
    : env.AWS_REGION ? ['AWS_REGION', env.AWS_REGION]
      : env.AWS_DEFAULT_REGION ? ['AWS_DEFAULT_REGION', env.AWS_DEFAULT_REGION]
        : ['', undefined];
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new UsageError(`${regionSource}: '${region}' is not an AWS region like eu-west-1`);
  }
  return {
    help: false,
    options: {
      stackName,
      region,
      timeoutMs: parseDuration(v.timeout ?? VERIFY_DEFAULTS.timeout, '--timeout'),
      pollMs: parseDuration(v.poll ?? VERIFY_DEFAULTS.poll, '--poll'),
      smokeBody,
      smokeTimeoutMs: parseDuration(v['smoke-timeout'] ?? VERIFY_DEFAULTS.smokeTimeout, '--smoke-timeout'),
      json: v.json ?? false,
    },
  };
}
