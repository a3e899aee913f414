// Importing the package must stay cheap: cdk-nag, zod and the AWS SDK clients load only when something uses them.
// Each module below is replaced by a factory that records its loading, so the test sees exactly what an import loads.
const loaded: string[] = [];
jest.mock('cdk-nag', () => { loaded.push('cdk-nag'); return jest.requireActual('cdk-nag'); });
jest.mock('zod', () => { loaded.push('zod'); return jest.requireActual('zod'); });
jest.mock('@aws-sdk/client-sagemaker', () => { loaded.push('@aws-sdk/client-sagemaker'); return jest.requireActual('@aws-sdk/client-sagemaker'); });
jest.mock('@aws-sdk/client-cloudformation', () => { loaded.push('@aws-sdk/client-cloudformation'); return jest.requireActual('@aws-sdk/client-cloudformation'); });
jest.mock('@aws-sdk/client-cloudwatch', () => { loaded.push('@aws-sdk/client-cloudwatch'); return jest.requireActual('@aws-sdk/client-cloudwatch'); });
jest.mock('@aws-sdk/client-sagemaker-runtime', () => { loaded.push('@aws-sdk/client-sagemaker-runtime'); return jest.requireActual('@aws-sdk/client-sagemaker-runtime'); });

describe('importing the package', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require('../../lib') as typeof import('../../lib');
  const afterImport = [...loaded];

  test('loads neither cdk-nag, zod nor any AWS SDK client', () => {
    expect(afterImport).toEqual([]);
  });

  test('builds a default environment from the presets without loading them either', () => {
    const { App } = jest.requireActual('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const app = new App({ context: { env: 'dev' } });
    lib.addLlmOpsStacksFromContext(app);
    expect(loaded).toEqual([]);
  });

  test('loads cdk-nag on first use of the LlmOps rule pack, which is then the real pack', () => {
    const { NagPack } = jest.requireActual('cdk-nag') as typeof import('cdk-nag');
    expect(new lib.LlmOpsChecks()).toBeInstanceOf(NagPack);
    expect(loaded).toContain('cdk-nag');
  });

  test('loads zod on first use of the configuration schema', () => {
    expect(() => lib.parseConfigOverrides({ logRetentionDays: 'x' }, 'test')).toThrow(/logRetentionDays/);
    expect(loaded).toContain('zod');
  });
});
