import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { EndpointSettings, LlmOpsConfig } from '../../lib/config';
import {
  CloudFormationTemplate, CostEstimate, CostLine, defaultPriceList, estimateMonthlyCost, formatCostEstimate, PriceList, runsPerMonth,
  TemplateResource, writeCostEstimates,
} from '../../lib/cost';

// The arithmetic, checked against a fixed price list of round numbers (not the shipped one) and small hand-built
// templates, so no synth is needed. Every expected figure is worked out by hand in a comment.

const H = 730;

const PRICES: PriceList = {
  region: 'test-region-1',
  currency: 'USD',
  retrieved: '2000-01-01',
  note: 'Fixture prices for the tests.',
  hoursPerMonth: H,
  sageMaker: { hosting: { 'ml.g5.2xlarge': 1.5, 'ml.g6.xlarge': 1 }, training: { 'ml.g5.2xlarge': 2 }, spotTrainingSavings: 0.75, mlStorageGbMonth: 0.1 },
  openSearchServerless: { ocuHour: 0.25, storageGbMonth: 0.02 },
  aurora: { serverlessV2AcuHour: 0.125, storageGbMonth: 0.1, ioPerMillion: 0.2, backupGbMonth: 0.02 },
  vpc: { interfaceEndpointHourPerAz: 0.01, interfaceEndpointGb: 0.01, natGatewayHour: 0.05, natGatewayGb: 0.05, publicIpv4Hour: 0.005 },
  s3: { standardGbMonth: 0.02 },
  kms: { customerKeyMonth: 1 },
  cloudWatch: {
    standardAlarmMonth: 0.1, highResolutionAlarmMonth: 0.3, compositeAlarmMonth: 0.5, anomalyDetectionAlarmMonth: 0.3, dashboardMonth: 3,
    logsIngestGb: 0.5, logsStorageGbMonth: 0.03,
  },
  secretsManager: { secretMonth: 0.4 },
  sources: [{
    items: ['sageMaker', 'openSearchServerless', 'aurora', 'vpc', 's3', 'kms', 'cloudWatch', 'secretsManager'],
    url: 'https://example.com/prices', title: 'Fixture', verified: true, detail: 'Round numbers for the tests.',
  }],
};

/** A classic endpoint of 2 × ml.g5.2xlarge, nothing else. */
const BASE: LlmOpsConfig = {
  environment: 'staging',
  projectName: 'Test',
  network: { maxAzs: 2, internetEgress: false },
  endpoint: {
    model: { kind: 'bucket', prefix: 'models/m/' },
    container: 'tgi',
    instanceType: 'ml.g5.2xlarge',
    instanceCount: 2,
    dataCaptureSamplingPercentage: 0,
  },
  removalPolicy: 'destroy',
  logRetentionDays: 30,
};

function config(overrides: Omit<Partial<LlmOpsConfig>, 'endpoint'> & { endpoint?: Partial<EndpointSettings> } = {}): LlmOpsConfig {
  return { ...BASE, ...overrides, endpoint: { ...BASE.endpoint, ...overrides.endpoint } };
}

function template(...resources: TemplateResource[]): CloudFormationTemplate {
  return { Resources: Object.fromEntries(resources.map((r, i) => [`Resource${i}`, r])) };
}

const subnets = (n: number) => Array.from({ length: n }, (_, i) => ({ Ref: `Subnet${i}` }));
const interfaceEndpoint = (azs: number): TemplateResource => ({ Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', SubnetIds: subnets(azs) } });
const alarm = (properties: Record<string, unknown>): TemplateResource => ({ Type: 'AWS::CloudWatch::Alarm', Properties: properties });
const serverlessInstance: TemplateResource = { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceClass: 'db.serverless' } };

function estimate(c: LlmOpsConfig, t: CloudFormationTemplate = template()): CostEstimate {
  return estimateMonthlyCost(c, t, PRICES);
}

/** The one line whose item starts with `item`. */
function line(e: CostEstimate, item: string): CostLine {
  const found = e.lines.filter(l => l.item.startsWith(item));
  if (found.length !== 1) throw new Error(`expected one line '${item}', found ${found.length}: ${e.lines.map(l => l.item).join('; ')}`);
  return found[0];
}

/** Expects a line's monthly minimum and maximum, to a millionth of a dollar. */
function expectMonthly(l: CostLine, min: number, max: number): void {
  expect(l.monthlyMin).toBeCloseTo(min, 6);
  expect(l.monthlyMax).toBeCloseTo(max, 6);
}

describe('When the endpoint is a classic endpoint', () => {
  test('with auto scaling from 2 to 4, the GPU line runs from 2 to 4 instances all month', () => {
    const e = estimate(config({ endpoint: { autoScaling: { minCapacity: 2, maxCapacity: 4 } } }));
    // 2–4 instances × $1.50 × 730 h = $2,190–$4,380
    const gpu = line(e, 'SageMaker endpoint instances');
    expectMonthly(gpu, 2190, 4380);
    expect(gpu.quantity).toBe('2–4 × ml.g5.2xlarge × 730 h');
    expect(gpu.prices).toEqual(['sageMaker.hosting.ml.g5.2xlarge']);
  });

  test('without auto scaling, the instance count is fixed: minimum and maximum are the same', () => {
    const e = estimate(config({ endpoint: { instanceCount: 3 } }));
    // 3 instances × $1.50 × 730 h = $3,285
    expectMonthly(line(e, 'SageMaker endpoint instances'), 3285, 3285);
  });

  test('a blue/green deployment\'s extra instances are listed as not included', () => {
    const e = estimate(config({ endpoint: { deployment: { strategy: 'canary', sizePercent: 25, waitMinutes: 15 } } }));
    expect(e.excluded).toContainEqual(expect.stringContaining('canary deployment'));
  });
});

describe('When the endpoint is an inference-component fleet that scales to zero', () => {
  const e = estimate(config({ endpoint: { instanceType: 'ml.g6.xlarge', instanceCount: 1, inferenceComponents: { minInstances: 0, maxInstances: 2, minCopies: 0, maxCopies: 2 } } }));

  test('the minimum is $0 and the maximum is the fleet\'s largest size all month', () => {
    // 0–2 instances × $1.00 × 730 h = $0–$1,460
    const gpu = line(e, 'SageMaker endpoint instances');
    expectMonthly(gpu, 0, 1460);
    expect(gpu.quantity).toBe('0–2 × ml.g6.xlarge × 730 h (scales to zero)');
  });

  test('the assumptions say the $0 minimum is a month without requests', () => {
    expect(e.assumptions).toContainEqual(expect.stringMatching(/scales to zero.*\$0\.00.*no request/));
  });
});

describe('When an instance type is not in the price list', () => {
  const c = config({
    endpoint: { instanceType: 'ml.p5.48xlarge' },
    fineTuning: { instanceType: 'ml.p5.48xlarge', instanceCount: 1, spot: false, maxRuntimeHours: 10, evaluation: { metric: 'loss', threshold: 1, comparison: 'lt' }, approval: 'manual', onNewData: true },
  });

  test('the estimate does not throw, and has no GPU or training line', () => {
    const e = estimate(c);
    expect(e.lines.filter(l => l.component === 'GPU inference' || l.component === 'Fine-tuning')).toEqual([]);
    expect(e.totalMin).toBe(0);
  });

  test('excluded names the instance type and the price list, instead of a guessed price', () => {
    const e = estimate(c);
    expect(e.excluded).toContainEqual(expect.stringMatching(/no SageMaker hosting price for ml\.p5\.48xlarge in the given price list \(test-region-1, 2000-01-01\)/));
    expect(e.excluded).toContainEqual(expect.stringMatching(/no SageMaker training price for ml\.p5\.48xlarge/));
  });

  test('with the default price list, excluded names the price file', () => {
    const e = estimateMonthlyCost(config({ endpoint: { instanceType: 'ml.g4dn.xlarge-unknown' } }), template());
    expect(e.excluded).toContainEqual(expect.stringContaining('ml.g4dn.xlarge-unknown in lib/cost/prices-us-east-1.json'));
  });
});

describe('When the vector store is OpenSearch Serverless', () => {
  test('with standby replicas (the default), it runs from 2 OCUs to the account limit of 20', () => {
    const e = estimate(config({ vectorStore: { kind: 'opensearch-serverless', dimension: 8, distance: 'cosine' } }));
    // 2–20 OCUs × $0.25 × 730 h = $365–$3,650
    const ocus = line(e, 'OpenSearch Serverless OCUs');
    expectMonthly(ocus, 365, 3650);
    expect(ocus.item).toContain('(standby replicas)');
    expect(e.excluded).toContainEqual(expect.stringContaining('OpenSearch Serverless managed storage'));
  });

  test('without standby replicas, the minimum halves to 1 OCU', () => {
    const e = estimate(config({ vectorStore: { kind: 'opensearch-serverless', dimension: 8, distance: 'cosine', standbyReplicas: false } }));
    // 1–20 OCUs × $0.25 × 730 h = $182.50–$3,650
    expectMonthly(line(e, 'OpenSearch Serverless OCUs'), 182.5, 3650);
  });

  test('its VPC endpoint is priced per AZ like an interface endpoint', () => {
    const e = estimate(config(), template({ Type: 'AWS::OpenSearchServerless::VpcEndpoint', Properties: { SubnetIds: subnets(3) } }));
    // 1 endpoint × 3 AZs × $0.01 × 730 h = $21.90
    expectMonthly(line(e, 'OpenSearch Serverless VPC endpoint'), 21.9, 21.9);
  });
});

describe('When the vector store is Aurora Serverless v2', () => {
  test('with minCapacity 0 it pauses: $0 of compute at the minimum', () => {
    const e = estimate(config({ vectorStore: { kind: 'aurora-pgvector', dimension: 8, distance: 'cosine', minCapacity: 0, maxCapacity: 2 } }), template(serverlessInstance));
    // 0–2 ACUs × 1 instance × $0.125 × 730 h = $0–$182.50
    const acus = line(e, 'Aurora Serverless v2 ACUs');
    expectMonthly(acus, 0, 182.5);
    expect(acus.quantity).toBe('0–2 ACUs × 1 instance × 730 h (pauses when idle)');
    expect(e.assumptions).toContainEqual(expect.stringContaining('pauses when idle'));
  });

  test('capacity left out takes the construct defaults (0.5–4 ACUs), for each serverless instance', () => {
    const e = estimate(config({ vectorStore: { kind: 'aurora-pgvector', dimension: 8, distance: 'cosine' } }),
      template(serverlessInstance, serverlessInstance, { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceClass: 'db.r6g.large' } }));
    // 0.5–4 ACUs × 2 instances × $0.125 × 730 h = $91.25–$730 (the provisioned instance is not a serverless one)
    expectMonthly(line(e, 'Aurora Serverless v2 ACUs'), 91.25, 730);
  });

  test('an Aurora-managed master password counts as a secret', () => {
    const e = estimate(config(), template(
      { Type: 'AWS::RDS::DBCluster', Properties: { ManageMasterUserPassword: true } },
      { Type: 'AWS::SecretsManager::Secret' },
    ));
    // (1 secret + 1 managed password) × $0.40 = $0.80
    const secrets = line(e, 'Secrets Manager secrets');
    expectMonthly(secrets, 0.8, 0.8);
    expect(secrets.quantity).toBe('1 secret + 1 Aurora-managed master password × 1 month');
  });
});

describe('When the template has a network', () => {
  test('interface endpoints are billed per subnet (AZ); gateway endpoints are free', () => {
    const e = estimate(config(), template(interfaceEndpoint(2), interfaceEndpoint(2), interfaceEndpoint(2),
      { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' } }));
    // 3 endpoints × 2 AZs × $0.01 × 730 h = $43.80
    const endpoints = line(e, 'Interface VPC endpoints');
    expectMonthly(endpoints, 43.8, 43.8);
    expect(endpoints.quantity).toBe('3 endpoints × 2 AZs × 730 h');
  });

  test('endpoints in different numbers of subnets are summed per endpoint-AZ', () => {
    const e = estimate(config(), template(interfaceEndpoint(2), interfaceEndpoint(3)));
    // (2 + 3) endpoint-AZs × $0.01 × 730 h = $36.50
    expectMonthly(line(e, 'Interface VPC endpoints'), 36.5, 36.5);
  });

  test('NAT gateways and their public IPv4 addresses are billed by the hour', () => {
    const e = estimate(config(), template({ Type: 'AWS::EC2::NatGateway' }, { Type: 'AWS::EC2::NatGateway' }, { Type: 'AWS::EC2::EIP' }, { Type: 'AWS::EC2::EIP' }));
    // 2 NAT gateways × $0.05 × 730 h = $73; 2 addresses × $0.005 × 730 h = $7.30
    expectMonthly(line(e, 'NAT gateways'), 73, 73);
    expectMonthly(line(e, 'Public IPv4 addresses'), 7.3, 7.3);
  });

  test('without NAT gateways there is no NAT line', () => {
    expect(estimate(config(), template(interfaceEndpoint(2))).lines.map(l => l.item)).not.toContain('NAT gateways');
  });
});

describe('When the model weights live in the bucket', () => {
  test('their size comes from endpoint.modelSize and is stated as an assumption', () => {
    const e = estimate(config({ endpoint: { modelSize: { parametersBillions: 10, bytesPerParameter: 2 } } }));
    // 10 B parameters × 2 bytes = 20 GB × $0.02 = $0.40
    expectMonthly(line(e, 'Model weights in S3'), 0.4, 0.4);
    expect(e.assumptions).toContainEqual(expect.stringContaining('10 B parameters × 2 bytes = 20 GB'));
  });

  test('without modelSize the weights are listed as not included', () => {
    const e = estimate(config());
    expect(e.lines.filter(l => l.component === 'Storage')).toEqual([]);
    expect(e.excluded).toContainEqual(expect.stringContaining('endpoint.modelSize is not set'));
  });
});

describe('When the environment fine-tunes', () => {
  const fineTuning = { instanceType: 'ml.g5.2xlarge', instanceCount: 2, maxRuntimeHours: 10, evaluation: { metric: 'loss', threshold: 1, comparison: 'lt' as const }, approval: 'manual' as const };

  test('spot runs on a weekly rate range from the largest spot saving to on-demand', () => {
    const e = estimate(config({ fineTuning: { ...fineTuning, spot: true, onNewData: false, schedule: 'rate(7 days)' } }));
    // a run: 2 instances × 10 h × $2.00 = $40 on-demand; spot at most 75 % off = $10
    // runs: 730 h / (7 × 24 h) = 4.345… a month → $43.45–$173.81
    const runs = line(e, 'Training runs');
    expectMonthly(runs, (730 / 168) * 10, (730 / 168) * 40);
    expect(runs.quantity).toBe('4.35 runs × 2 × ml.g5.2xlarge × 10 h (spot)');
    expect(e.assumptions).toContainEqual(expect.stringContaining('= $10.00–$40.00'));
  });

  test('on-demand runs on a daily rate cost the same at both ends', () => {
    const e = estimate(config({ fineTuning: { ...fineTuning, spot: false, onNewData: false, schedule: 'rate(1 day)' } }));
    // 730 / 24 = 30.416… runs × $40 = $1,216.67
    expectMonthly(line(e, 'Training runs'), (730 / 24) * 40, (730 / 24) * 40);
  });

  test('runs on new data are not counted in the totals, but the price of a run is stated', () => {
    const e = estimate(config({ fineTuning: { ...fineTuning, spot: true, onNewData: true } }));
    const runs = line(e, 'Training runs');
    expectMonthly(runs, 0, 0);
    expect(runs.quantity).toBe('0 runs counted (on new data)');
    expect(e.assumptions).toContainEqual(expect.stringMatching(/new data under train\/.*not in the totals: add \$10\.00–\$40\.00 for each/));
  });

  test('runs a month come from rate() expressions only', () => {
    expect(runsPerMonth('rate(1 hour)', 730)).toBe(730);
    expect(runsPerMonth('rate(30 minutes)', 730)).toBe(1460);
    expect(runsPerMonth('rate(2 days)', 730)).toBeCloseTo(730 / 48, 9);
    expect(runsPerMonth('cron(0 3 ? * SUN *)', 730)).toBeUndefined();
    expect(runsPerMonth(undefined, 730)).toBeUndefined();
  });
});

describe('When the template has alarms, dashboards and keys', () => {
  const e = estimate(config(), template(
    alarm({ Period: 60 }),
    alarm({ Period: 300 }),
    alarm({ Metrics: [{ Id: 'm', MetricStat: { Period: 300 } }] }),
    alarm({ Metrics: [{ Id: 'a', MetricStat: { Period: 60 } }, { Id: 'b', MetricStat: { Period: 60 } }, { Id: 'e', Expression: 'a / b' }] }),
    alarm({ Period: 10 }),
    alarm({ ThresholdMetricId: 'band', Metrics: [{ Id: 'm', MetricStat: { Period: 300 } }, { Id: 'band', Expression: 'ANOMALY_DETECTION_BAND(m, 2)' }] }),
    { Type: 'AWS::CloudWatch::CompositeAlarm' },
    { Type: 'AWS::CloudWatch::Dashboard' },
    { Type: 'AWS::CloudWatch::Dashboard' },
    { Type: 'AWS::KMS::Key' },
  ));

  test('standard alarms are billed per metric they read', () => {
    // 3 single-metric alarms + 1 metric-math alarm over 2 metrics = 5 alarm metrics × $0.10 = $0.50
    expectMonthly(line(e, 'CloudWatch alarms, standard resolution'), 0.5, 0.5);
  });

  test('an alarm with a period under 60 s is high resolution', () => {
    // 1 × $0.30
    expectMonthly(line(e, 'CloudWatch alarms, high resolution'), 0.3, 0.3);
  });

  test('an alarm with a ThresholdMetricId is an anomaly detection alarm', () => {
    // 1 × $0.30
    expectMonthly(line(e, 'CloudWatch anomaly detection alarms'), 0.3, 0.3);
  });

  test('composite alarms, dashboards and KMS keys are billed by the month', () => {
    expectMonthly(line(e, 'CloudWatch composite alarms'), 0.5, 0.5); // 1 × $0.50
    expectMonthly(line(e, 'CloudWatch dashboards'), 6, 6); // 2 × $3
    expectMonthly(line(e, 'KMS customer managed keys'), 1, 1); // 1 × $1
  });

  test('the totals are the sums of the lines', () => {
    // GPU 2 × $1.50 × 730 = $2,190; monitoring and security $0.50 + $0.30 + $0.30 + $0.50 + $6 + $1 = $8.60
    expect(e.totalMin).toBeCloseTo(2198.6, 6);
    expect(e.totalMax).toBeCloseTo(2198.6, 6);
  });
});

describe('When usage-based charges apply', () => {
  test('requests, data processed, logs, storage, free tier and taxes are listed as not included', () => {
    const e = estimate(config({ vectorStore: { kind: 'aurora-pgvector', dimension: 8, distance: 'cosine' } }), template({ Type: 'AWS::Bedrock::Guardrail' }));
    const excluded = e.excluded.join('\n');
    for (const what of ['Data processed by VPC endpoints', 'CloudWatch Logs ingestion', 'S3 requests', 'Aurora storage', 'Bedrock guardrail', 'Data transfer', 'Free tier', 'taxes']) {
      expect(excluded).toContain(what);
    }
  });
});

describe('The shipped price list', () => {
  const prices = defaultPriceList();

  /** The value at a dotted path whose last keys may themselves contain dots (`sageMaker.hosting.ml.g5.2xlarge`). */
  function valueAt(obj: unknown, p: string): unknown {
    if (typeof obj !== 'object' || obj === null) return undefined;
    const o = obj as Record<string, unknown>;
    if (p in o) return o[p];
    const key = Object.keys(o).find(k => p.startsWith(`${k}.`));
    return key === undefined ? undefined : valueAt(o[key], p.slice(key.length + 1));
  }

  test('has a date, a region, a currency and 730 hours a month', () => {
    expect(prices.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(prices.region).toBe('us-east-1');
    expect(prices.currency).toBe('USD');
    expect(prices.hoursPerMonth).toBe(730);
  });

  test('has every price the estimator reads, as a positive number', () => {
    const paths = [
      'sageMaker.spotTrainingSavings', 'openSearchServerless.ocuHour', 'aurora.serverlessV2AcuHour', 'vpc.interfaceEndpointHourPerAz', 'vpc.natGatewayHour',
      'vpc.publicIpv4Hour', 's3.standardGbMonth', 'kms.customerKeyMonth', 'cloudWatch.standardAlarmMonth', 'cloudWatch.highResolutionAlarmMonth',
      'cloudWatch.compositeAlarmMonth', 'cloudWatch.anomalyDetectionAlarmMonth', 'cloudWatch.dashboardMonth', 'secretsManager.secretMonth',
    ];
    for (const p of paths) expect([p, valueAt(prices, p)]).toEqual([p, expect.any(Number)]);
    for (const p of paths) expect(valueAt(prices, p) as number).toBeGreaterThan(0);
    expect(prices.sageMaker.spotTrainingSavings).toBeLessThan(1);
  });

  test('covers the instance types of every preset', () => {
    // Imported here: the rest of this file needs no construct library.
    const { PRESETS } = require('../../lib/config') as typeof import('../../lib/config');
    for (const preset of Object.values(PRESETS)) {
      expect([preset.environment, prices.sageMaker.hosting[preset.endpoint.instanceType]]).toEqual([preset.environment, expect.any(Number)]);
      if (preset.fineTuning) expect([preset.environment, prices.sageMaker.training[preset.fineTuning.instanceType]]).toEqual([preset.environment, expect.any(Number)]);
    }
  });

  test('names a source for every price, and every source item is a price in the list', () => {
    expect(prices.sources.length).toBeGreaterThan(0);
    for (const s of prices.sources) {
      expect(s.url).toMatch(/^https:\/\//);
      expect(typeof s.verified).toBe('boolean');
      for (const item of s.items) expect([item, valueAt(prices, item)]).toEqual([item, expect.anything()]);
    }
  });

  test('is what the estimate uses when no price list is given', () => {
    const e = estimateMonthlyCost(config(), template());
    expect([e.region, e.pricesDate, e.priceSource]).toEqual(['us-east-1', prices.retrieved, 'lib/cost/prices-us-east-1.json']);
  });
});

describe('When an estimate is formatted', () => {
  const e = estimateMonthlyCost(config({ endpoint: { autoScaling: { minCapacity: 2, maxCapacity: 4 } } }), template(interfaceEndpoint(2)), PRICES, { stackName: 'Test-staging' });

  test('the first line says it is an estimate of list prices from the region, date and price list, not a quote', () => {
    const first = formatCostEstimate(e).split('\n')[0];
    expect(first).toMatch(/^ESTIMATE, not a quote: monthly cost at test-region-1 list prices dated 2000-01-01 from the given price list/);
  });

  test('it shows every line and the totals, rounded to cents', () => {
    const text = formatCostEstimate(e);
    // GPU $2,190–$4,380 + endpoints 2 AZs × $0.01 × 730 h = $14.60 → $2,204.60–$4,394.60
    expect(text).toContain('Environment staging (stack Test-staging): $2,204.60 – $4,394.60 a month');
    expect(text).toMatch(/GPU inference\s+SageMaker endpoint instances\s+2–4 × ml\.g5\.2xlarge × 730 h\s+\$2,190\.00\s+\$4,380\.00/);
    expect(text).toMatch(/Total\s+\$2,204\.60\s+\$4,394\.60/);
    expect(text).toContain('Assumptions:');
    expect(text).toContain('Not included:');
  });

  test('without details it leaves the assumptions out', () => {
    expect(formatCostEstimate(e, { details: false })).not.toContain('Assumptions:');
  });

  test('writeCostEstimates writes the JSON and the text report into the assembly directory', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-cost-'));
    try {
      const files = writeCostEstimates(dir, [e]);
      const json = JSON.parse(fs.readFileSync(files.json, 'utf8'));
      expect(json.note).toMatch(/^ESTIMATE, not a quote/);
      expect(json.estimates[0].totalMax).toBeCloseTo(4394.6, 6);
      expect(fs.readFileSync(files.text, 'utf8')).toBe(`${formatCostEstimate(e)}\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
