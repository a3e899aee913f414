import { formatDuration, parseDuration, parseVerifyArgs, UsageError, VerifyOptions } from '../../lib/verify';

const noFile = (path: string): string => {
  throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
};

function parse(argv: string[], env: Record<string, string> = {}, readFile = noFile): VerifyOptions {
  const parsed = parseVerifyArgs(argv, env, readFile);
  if (parsed.help) throw new Error('expected options, got help');
  return parsed.options;
}

function usageError(argv: string[], env: Record<string, string> = {}, readFile = noFile): string {
  try {
    parseVerifyArgs(argv, env, readFile);
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error('expected a UsageError');
}

describe('When parsing `llmops verify` arguments', () => {
  test('--env alone gives the stack <LlmOps>-<env> and the defaults: 30m timeout, 15s poll, 60s smoke timeout, text', () => {
    expect(parse(['verify', '--env', 'prod'], { AWS_REGION: 'eu-west-1' })).toEqual({
      stackName: 'LlmOps-prod', region: 'eu-west-1', timeoutMs: 1_800_000, pollMs: 15_000, smokeBody: undefined, smokeTimeoutMs: 60_000, json: false,
    });
  });

  test('--project changes the prefix; --stack overrides the name and makes --env optional', () => {
    expect(parse(['verify', '--env', 'dev', '--project', 'Chat']).stackName).toBe('Chat-dev');
    expect(parse(['verify', '--stack', 'MyStack']).stackName).toBe('MyStack');
  });

  test('every flag is read', () => {
    expect(parse(['verify', '--env', 'staging', '--region', 'us-east-1', '--timeout', '1h', '--poll', '30s', '--smoke', '{"inputs":"hi"}', '--smoke-timeout', '90', '--json'])).toEqual({
      stackName: 'LlmOps-staging', region: 'us-east-1', timeoutMs: 3_600_000, pollMs: 30_000, smokeBody: '{"inputs":"hi"}', smokeTimeoutMs: 90_000, json: true,
    });
  });

  test('the region comes from --region, then AWS_REGION, then AWS_DEFAULT_REGION, else the SDK decides', () => {
    expect(parse(['verify', '--env', 'dev', '--region', 'us-west-2'], { AWS_REGION: 'eu-west-1' }).region).toBe('us-west-2');
    expect(parse(['verify', '--env', 'dev'], { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' }).region).toBe('eu-west-1');
    expect(parse(['verify', '--env', 'dev'], { AWS_DEFAULT_REGION: 'us-east-1' }).region).toBe('us-east-1');
    expect(parse(['verify', '--env', 'dev']).region).toBeUndefined();
  });

  test('--smoke-file is read through the injected reader', () => {
    const read = jest.fn(() => '{"inputs":"from a file"}');
    expect(parse(['verify', '--env', 'dev', '--smoke-file', 'smoke.json'], {}, read).smokeBody).toBe('{"inputs":"from a file"}');
    expect(read).toHaveBeenCalledWith('smoke.json');
  });

  test('--help and -h ask for the usage', () => {
    expect(parseVerifyArgs(['--help'], {}, noFile)).toEqual({ help: true });
    expect(parseVerifyArgs(['verify', '-h'], {}, noFile)).toEqual({ help: true });
  });
});

describe('When `llmops verify` arguments are bad', () => {
  test.each([
    [[], 'missing command: verify'],
    [['check', '--env', 'dev'], "unknown command 'check'; the only command is verify"],
    [['verify', 'prod'], "unexpected argument 'prod'"],
    [['verify'], '--env is required (or give --stack)'],
    [['verify', '--env', 'prod', '--colour'], "Unknown option '--colour'"],
    [['verify', '--env', 'prod_1'], "stack name 'LlmOps-prod_1' is not a CloudFormation stack name; allowed: a letter, then letters, digits and '-', at most 128"],
    [['verify', '--env', 'dev', '--timeout', 'soon'], "--timeout: expected a positive duration like 90s, 15m or 1h; got 'soon'"],
    [['verify', '--env', 'dev', '--poll', '0s'], "--poll: expected a positive duration like 90s, 15m or 1h; got '0s'"],
    [['verify', '--env', 'dev', '--smoke-timeout=-5s'], "--smoke-timeout: expected a positive duration like 90s, 15m or 1h; got '-5s'"],
    [['verify', '--env', 'dev', '--smoke', '{}', '--smoke-file', 'f.json'], 'give --smoke or --smoke-file, not both'],
    [['verify', '--env', 'dev', '--smoke-file', 'missing.json'], "--smoke-file: cannot read 'missing.json' (ENOENT)"],
    [['verify', '--env', 'dev', '--region', 'Ireland'], "--region: 'Ireland' is not an AWS region like eu-west-1"],
  ])('%j: %s', (argv, message) => {
    expect(usageError(argv)).toContain(message);
  });

  test('a bad region from the environment names the variable', () => {
    expect(usageError(['verify', '--env', 'dev'], { AWS_REGION: 'EU_WEST_1' })).toBe("AWS_REGION: 'EU_WEST_1' is not an AWS region like eu-west-1");
  });

  test('a smoke body that is not JSON is rejected without quoting it (it may hold sensitive data)', () => {
    const message = usageError(['verify', '--env', 'dev', '--smoke', 'password=hunter2']);
    expect(message).toBe('--smoke: the smoke request body is not valid JSON');
    expect(usageError(['verify', '--env', 'dev', '--smoke-file', 'f'], {}, () => 'token: abc')).toBe('--smoke-file: the smoke request body is not valid JSON');
  });
});

describe('When converting durations', () => {
  test.each([['500ms', 500], ['90s', 90_000], ['90', 90_000], ['1.5m', 90_000], ['15m', 900_000], ['2h', 7_200_000]])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text, '--timeout')).toBe(ms);
  });

  test.each([[0, '0s'], [250, '250ms'], [45_000, '45s'], [150_000, '2m30s'], [1_800_000, '30m'], [3_900_000, '1h5m'], [7_200_000, '2h']])('%d ms prints as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
