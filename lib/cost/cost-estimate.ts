import { AURORA_PGVECTOR_DEFAULT_CAPACITY, OPENSEARCH_DEFAULT_STANDBY_REPLICAS } from '../../constructs';
import type { LlmOpsConfig } from '../config';
import { formatCount, formatMoney, formatRange } from './money';
import { DEFAULT_PRICE_FILE, defaultPriceList, priceVerification, PriceList } from './prices';

/** The part of the stack a {@link CostLine} belongs to. */
export type CostComponent = 'GPU inference' | 'Vector store' | 'Network' | 'Storage' | 'Fine-tuning' | 'Monitoring' | 'Security';

/** One priced item of a {@link CostEstimate}: a quantity times a list price, for a month. */
export interface CostLine {
  /** The part of the stack. */
  readonly component: CostComponent;
  /** What is billed, e.g. `SageMaker endpoint instances`. */
  readonly item: string;
  /** The quantity in words, e.g. `2–4 × ml.g5.2xlarge × 730 h`. */
  readonly quantity: string;
  /** Monthly cost at the low end of the quantity (e.g. minimum capacity), unrounded. */
  readonly monthlyMin: number;
  /** Monthly cost at the high end of the quantity (e.g. maximum capacity), unrounded. */
  readonly monthlyMax: number;
  /** The prices used, as paths into the price list, e.g. `sageMaker.hosting.ml.g5.2xlarge`. */
  readonly prices: readonly string[];
  /** Whether a price used is not confirmed by a citable page (`verified: false`, or no source, in the price list). */
  readonly unverified: boolean;
}

/** The estimated monthly list-price cost of one environment. */
export interface CostEstimate {
  /** The environment, e.g. `prod`. */
  readonly environment: string;
  /** The CloudFormation stack the template belongs to, when known. */
  readonly stackName?: string;
  /** The region of the prices (not necessarily the stack's). */
  readonly region: string;
  /** The currency of every amount. */
  readonly currency: string;
  /** The date the prices were gathered. */
  readonly pricesDate: string;
  /** Where the prices come from, e.g. `lib/cost/prices-us-east-1.json`. */
  readonly priceSource: string;
  /** Hours in a month, for hourly prices. */
  readonly hoursPerMonth: number;
  /** The priced items. */
  readonly lines: readonly CostLine[];
  /** The sum of every line's `monthlyMin`. */
  readonly totalMin: number;
  /** The sum of every line's `monthlyMax`. */
  readonly totalMax: number;
  /** How quantities were derived, what the minimum and maximum mean, and which prices are unverified. */
  readonly assumptions: readonly string[];
  /** What costs money but is not in the totals: usage-based charges, and anything that has no price. */
  readonly excluded: readonly string[];
}

/** One resource of a CloudFormation template. */
export interface TemplateResource {
  /** The resource type, e.g. `AWS::EC2::VPCEndpoint`. */
  readonly Type: string;
  /** The resource's properties. */
  readonly Properties?: Readonly<Record<string, unknown>>;
}

/** The part of a synthesized CloudFormation template that the estimate reads: its resources. */
export interface CloudFormationTemplate {
  /** The resources, by logical ID. */
  readonly Resources?: Readonly<Record<string, TemplateResource>>;
}

/** Options of {@link estimateMonthlyCost}. */
export interface CostEstimateOptions {
  /**
   * The name of the stack the template belongs to, reported with the estimate.
   * @default - none reported
   */
  readonly stackName?: string;
  /**
   * What to call the price list in messages.
   * @default - `lib/cost/prices-us-east-1.json` for the default price list, else `the given price list (<region>, <date>)`
   */
  readonly priceSource?: string;
}

/**
 * The least OCUs an OpenSearch Serverless collection (indexing and search together) scales down to. Per the AWS
 * developer guide, with redundancy (standby replicas) indexing and search each keep at least 1 OCU (two 0.5 OCU
 * replicas), so 2 OCUs; without redundancy each keeps 0.5 OCU, so 1 OCU. The first collection starts with 4 OCUs
 * (2 without standby) and scales down to these floors when idle.
 * https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-scaling.html
 * (read through its stored copy at docs.amazonaws.cn/en_us/opensearch-service/latest/developerguide/serverless-scaling.html)
 */
export const OPENSEARCH_MIN_OCUS = { withStandby: 2, withoutStandby: 1 } as const;

/**
 * The most OCUs OpenSearch Serverless scales to under the account's default capacity limits: 10 for indexing plus
 * 10 for search. The figure comes from the "Maximum capacity limits" section of the developer guide's source
 * (github.com/awsdocs/amazon-opensearch-service-developer-guide, doc_source/serverless-scaling.md), a preview-era
 * version; the current page no longer states the default. An account can raise or lower the limits
 * (UpdateAccountSettings), and they cover every collection of the account in the region.
 */
export const OPENSEARCH_DEFAULT_MAX_OCUS = { indexing: 10, search: 10 } as const;

/** Hours per unit of an EventBridge `rate()` expression. */
const RATE_UNIT_HOURS: Readonly<Record<string, number>> = { minute: 1 / 60, minutes: 1 / 60, hour: 1, hours: 1, day: 24, days: 24 };

/**
 * Estimates the monthly list-price cost of one environment from its configuration (capacity ranges) and its
 * synthesized CloudFormation template (resource counts). Pure: no AWS calls, no clock; the same inputs give the same
 * estimate. Amounts are unrounded; {@link formatCostEstimate} rounds them to cents for display.
 *
 * Each line has a minimum and a maximum: minimum and maximum capacity of what scales (GPU instances, OCUs, ACUs), the
 * best and worst case of spot training; fixed items have the same figure for both. What is billed by use (requests,
 * data processed, storage that grows) and anything the price list has no price for is listed in `excluded`, never
 * guessed. An instance type missing from the price list does not throw: its line is left out and `excluded` names
 * the instance type and the price list.
 *
 * @param config the environment's resolved configuration
 * @param template the environment's synthesized CloudFormation template (only `Resources` is read)
 * @param prices the list prices; default: {@link defaultPriceList} (us-east-1, from `lib/cost/prices-us-east-1.json`)
 * @param options the stack name to report, and what to call the price list in messages
 */
export function estimateMonthlyCost(config: LlmOpsConfig, template: CloudFormationTemplate, prices?: PriceList, options: CostEstimateOptions = {}): CostEstimate {
  const priceList = prices ?? defaultPriceList();
  const priceSource = options.priceSource ?? (prices ? `the given price list (${priceList.region}, ${priceList.retrieved})` : DEFAULT_PRICE_FILE);
  const e = new Estimator(config, template, priceList, priceSource);
  e.gpuInference();
  e.vectorStore();
  e.network();
  e.storage();
  e.fineTuning();
  e.monitoring();
  e.security();
  return e.result(options.stackName);
}

/** Collects the lines, assumptions and exclusions of one estimate. */
class Estimator {
  private readonly lines: CostLine[] = [];
  private readonly assumptions: string[] = [];
  private readonly excluded: string[] = [];
  private readonly hours: number;
  /** The template's resources, grouped by type once. */
  private readonly byType = new Map<string, TemplateResource[]>();

  constructor(
    private readonly config: LlmOpsConfig,
    template: CloudFormationTemplate,
    private readonly prices: PriceList,
    private readonly priceSource: string,
  ) {
    this.hours = prices.hoursPerMonth;
    for (const r of Object.values(template.Resources ?? {})) this.byType.set(r.Type, [...this.byType.get(r.Type) ?? [], r]);
  }

  public result(stackName: string | undefined): CostEstimate {
    const p = this.prices;
    const unverified = [...new Set(this.lines.flatMap(l => l.prices))].filter(path => priceVerification(p, path) !== 'verified');
    if (unverified.length > 0) {
      this.assumptions.push(`Prices not confirmed by a citable page (verified: false or no source in ${this.priceSource}; lines marked *): ${unverified.join(', ')}.`);
    }
    this.excluded.push(
      'Data transfer (between AZs, to the internet) and every other per-request or per-GB charge not listed above.',
      'Free tier, Savings Plans, reserved capacity, Enterprise discounts, credits and taxes.',
    );
    return {
      environment: this.config.environment,
      ...(stackName !== undefined ? { stackName } : {}),
      region: p.region,
      currency: p.currency,
      pricesDate: p.retrieved,
      priceSource: this.priceSource,
      hoursPerMonth: this.hours,
      lines: this.lines,
      totalMin: this.lines.reduce((sum, l) => sum + l.monthlyMin, 0),
      totalMax: this.lines.reduce((sum, l) => sum + l.monthlyMax, 0),
      assumptions: this.assumptions,
      excluded: this.excluded,
    };
  }

  /** SageMaker instance-hours of the endpoint, from minimum to maximum capacity. */
  public gpuInference(): void {
    const e = this.config.endpoint;
    const type = e.instanceType;
    let min: number;
    let max: number;
    let scaling: string;
    if (e.inferenceComponents) {
      ({ minInstances: min, maxInstances: max } = e.inferenceComponents);
      scaling = 'inference-component fleet';
    } else if (e.autoScaling) {
      ({ minCapacity: min, maxCapacity: max } = e.autoScaling);
      scaling = 'auto scaling';
    } else {
      min = max = e.instanceCount;
      scaling = 'fixed';
    }
    const rate = lookup(this.prices.sageMaker.hosting, type);
    if (rate === undefined) {
      this.excluded.push(`GPU inference: ${formatRange(min, max)} × ${type} — no SageMaker hosting price for ${type} in ${this.priceSource}; add it there to estimate the endpoint.`);
      return;
    }
    const scalesToZero = min === 0;
    this.add('GPU inference', 'SageMaker endpoint instances',
      `${formatRange(min, max)} × ${type} × ${this.h()}${scalesToZero ? ' (scales to zero)' : ''}`,
      min * rate * this.hours, max * rate * this.hours, [`sageMaker.hosting.${type}`]);
    if (scalesToZero) {
      this.assumptions.push(`GPU inference scales to zero (endpoint.inferenceComponents.minInstances 0): the minimum, ${this.money(0)}, is a month in which `
        + `no request wakes the fleet; the maximum is ${plural(max, 'instance')} all month; every instance-hour adds ${this.money(rate)}.`);
    } else if (min !== max) {
      this.assumptions.push(`GPU inference: the minimum is ${plural(min, 'instance')} all month, the maximum ${plural(max, 'instance')} all month (${scaling}).`);
    }
    if (!e.inferenceComponents && e.deployment) {
      this.excluded.push(`GPU inference: the extra (green) instances a ${e.deployment.strategy} deployment runs while it bakes (${e.deployment.waitMinutes} min a deployment).`);
    }
    this.excluded.push('SageMaker inference: ML storage volumes (none for instance types with local NVMe storage), data processed in and out.');
  }

  /** OpenSearch Serverless OCUs or Aurora Serverless v2 ACUs. */
  public vectorStore(): void {
    const s = this.config.vectorStore;
    if (!s) return;
    if (s.kind === 'opensearch-serverless') {
      const standby = s.standbyReplicas ?? OPENSEARCH_DEFAULT_STANDBY_REPLICAS;
      const minOcu = standby ? OPENSEARCH_MIN_OCUS.withStandby : OPENSEARCH_MIN_OCUS.withoutStandby;
      const maxOcu = OPENSEARCH_DEFAULT_MAX_OCUS.indexing + OPENSEARCH_DEFAULT_MAX_OCUS.search;
      const ocu = this.prices.openSearchServerless.ocuHour;
      this.add('Vector store', `OpenSearch Serverless OCUs (${standby ? 'standby replicas' : 'no standby replicas'})`,
        `${formatRange(minOcu, maxOcu)} OCUs × ${this.h()}`, minOcu * ocu * this.hours, maxOcu * ocu * this.hours, ['openSearchServerless.ocuHour']);
      this.assumptions.push(`OpenSearch Serverless: the minimum is the idle floor of ${plural(minOcu, 'OCU')} `
        + `(${standby ? '0.5 OCU × 2 replicas for indexing and the same for search' : '0.5 OCU for indexing and 0.5 for search, without standby replicas'}; `
        + 'AWS starts a new collection at twice that and scales down); the maximum is the account\'s default capacity limit of '
        + `${OPENSEARCH_DEFAULT_MAX_OCUS.indexing} indexing + ${OPENSEARCH_DEFAULT_MAX_OCUS.search} search OCUs. Collections encrypted with the same key share OCUs, `
        + 'and the limit covers every collection in the account and region, so environments in one account share the maximum.');
      this.excluded.push('OpenSearch Serverless managed storage (per GB-month of indexed data).');
      return;
    }
    const min = s.minCapacity ?? AURORA_PGVECTOR_DEFAULT_CAPACITY.min;
    const max = s.maxCapacity ?? AURORA_PGVECTOR_DEFAULT_CAPACITY.max;
    const instances = this.resources('AWS::RDS::DBInstance').filter(r => r.Properties?.DBInstanceClass === 'db.serverless').length;
    if (instances === 0) {
      this.excluded.push('Aurora Serverless v2: the template has no db.serverless instance, so no ACUs were estimated.');
    } else {
      const acu = this.prices.aurora.serverlessV2AcuHour;
      this.add('Vector store', 'Aurora Serverless v2 ACUs (pgvector)',
        `${formatRange(min, max)} ACUs × ${plural(instances, 'instance')} × ${this.h()}${min === 0 ? ' (pauses when idle)' : ''}`,
        min * instances * acu * this.hours, max * instances * acu * this.hours, ['aurora.serverlessV2AcuHour']);
      this.assumptions.push(min === 0
        ? `Aurora Serverless v2 with minCapacity 0 pauses when idle and then bills no ACUs: the minimum, ${this.money(0)} of compute, is a month with no connections; the maximum is ${plural(max, 'ACU')} all month.`
        : `Aurora Serverless v2 runs between ${formatCount(min)} and ${formatCount(max)} ACUs${s.minCapacity === undefined || s.maxCapacity === undefined ? ' (AuroraPgVectorStore defaults where the configuration leaves them out)' : ''}.`);
    }
    this.excluded.push('Aurora storage (per GB-month), I/O (per million requests) and backups beyond the free allowance.');
  }

  /** Interface VPC endpoints per AZ, NAT gateways and public IPv4 addresses. */
  public network(): void {
    const perAzHour = this.prices.vpc.interfaceEndpointHourPerAz;
    const interfaceEndpoints = this.resources('AWS::EC2::VPCEndpoint').filter(r => r.Properties?.VpcEndpointType === 'Interface');
    this.endpointLine('Interface VPC endpoints', interfaceEndpoints, perAzHour);
    const aoss = this.resources('AWS::OpenSearchServerless::VpcEndpoint');
    if (aoss.length > 0) {
      this.endpointLine('OpenSearch Serverless VPC endpoint', aoss, perAzHour);
      this.assumptions.push('The OpenSearch Serverless VPC endpoint is an AWS PrivateLink interface endpoint and is priced like one (per AZ-hour).');
    }
    const gateways = this.resources('AWS::EC2::VPCEndpoint').length - interfaceEndpoints.length;
    if (gateways > 0) this.assumptions.push(`Gateway VPC endpoints (S3 or DynamoDB; ${gateways} in the template) have no charge.`);
    const nat = this.resources('AWS::EC2::NatGateway').length;
    if (nat > 0) {
      this.hourly('Network', 'NAT gateways', nat, 'vpc.natGatewayHour', this.prices.vpc.natGatewayHour);
    }
    const eips = this.resources('AWS::EC2::EIP').length;
    if (eips > 0) {
      this.hourly('Network', 'Public IPv4 addresses (Elastic IPs)', eips, 'vpc.publicIpv4Hour', this.prices.vpc.publicIpv4Hour);
    }
    this.excluded.push(`Data processed by VPC endpoints${nat > 0 ? ' and NAT gateways' : ''} (per GB).`);
  }

  /** The served model's weights in S3. */
  public storage(): void {
    const e = this.config.endpoint;
    if (e.model.kind !== 'bucket') {
      this.assumptions.push('The model is downloaded from the Hugging Face Hub at start-up: no weights are stored in S3.');
    } else if (!e.modelSize) {
      this.excluded.push('The model weights in S3: endpoint.modelSize is not set, so their size is unknown.');
    } else {
      const gb = e.modelSize.parametersBillions * e.modelSize.bytesPerParameter;
      const rate = this.prices.s3.standardGbMonth;
      this.add('Storage', 'Model weights in S3 Standard', `${formatCount(gb)} GB × 1 month`, gb * rate, gb * rate, ['s3.standardGbMonth']);
      this.assumptions.push(`The served model's weights take ${formatCount(e.modelSize.parametersBillions)} B parameters × ${formatCount(e.modelSize.bytesPerParameter)} bytes = `
        + `${formatCount(gb)} GB (10^9 bytes), stored once in S3 Standard (endpoint.modelSize).`);
    }
    this.excluded.push('Other S3 contents (datasets, training output and model packages, data capture, access logs), their versions, and S3 requests.');
  }

  /** Training runs of the fine-tuning pipeline, at their longest. */
  public fineTuning(): void {
    const f = this.config.fineTuning;
    if (!f) return;
    const rate = lookup(this.prices.sageMaker.training, f.instanceType);
    if (rate === undefined) {
      this.excluded.push(`Fine-tuning: ${f.instanceCount} × ${f.instanceType} × up to ${f.maxRuntimeHours} h a run — no SageMaker training price for ${f.instanceType} in ${this.priceSource}; add it there to estimate training.`);
      return;
    }
    const onDemand = f.instanceCount * f.maxRuntimeHours * rate;
    const perRunMin = f.spot ? onDemand * (1 - this.prices.sageMaker.spotTrainingSavings) : onDemand;
    const perRun = `${f.instanceCount} × ${f.instanceType} × ${formatCount(f.maxRuntimeHours)} h${f.spot ? ' (spot)' : ''}`;
    const perRunCost = f.spot ? `${this.money(perRunMin)}–${this.money(onDemand)}` : this.money(onDemand);
    const runs = runsPerMonth(f.schedule, this.hours);
    const prices = [`sageMaker.training.${f.instanceType}`, ...(f.spot ? ['sageMaker.spotTrainingSavings'] : [])];
    if (runs !== undefined) {
      this.add('Fine-tuning', `Training runs, ${f.schedule}`, `${formatCount(runs)} runs × ${perRun}`, runs * perRunMin, runs * onDemand, prices);
    } else {
      this.add('Fine-tuning', 'Training runs', `0 runs counted (${f.schedule ? f.schedule : 'on new data'})`, 0, 0, prices);
    }
    const triggers = [
      ...(f.schedule && runs === undefined ? [`the cron schedule ${f.schedule} (not converted to runs a month)`] : []),
      ...(f.onNewData ? ['new data under train/ of the datasets bucket'] : []),
    ];
    this.assumptions.push(`Fine-tuning: a run is priced at its longest, ${perRun} = ${perRunCost}${f.spot
      ? ` (spot: the minimum assumes the largest managed spot saving, ${formatCount(this.prices.sageMaker.spotTrainingSavings * 100)} %; the maximum is on-demand)`
      : ''}; a run that ends sooner costs less.${runs !== undefined ? ` ${f.schedule} gives ${formatCount(runs)} runs in ${formatCount(this.hours)} h.` : ''}${triggers.length > 0
      ? ` Runs started by ${triggers.join(' and ')} are not in the totals: add ${perRunCost} for each.`
      : ''}`);
    this.excluded.push('Fine-tuning: training ML storage volumes, Step Functions transitions, Lambda invocations and EventBridge events.');
  }

  /** CloudWatch alarms by kind, composite alarms and dashboards. */
  public monitoring(): void {
    const cw = this.prices.cloudWatch;
    let standard = 0;
    let highResolution = 0;
    let anomaly = 0;
    let mathAlarms = 0;
    for (const alarm of this.resources('AWS::CloudWatch::Alarm')) {
      const p = alarm.Properties ?? {};
      if (p.ThresholdMetricId !== undefined) {
        anomaly++;
        continue;
      }
      // A metric-math alarm is billed per metric it reads.
      const stats = Array.isArray(p.Metrics) ? p.Metrics.map(m => record(m)?.MetricStat).map(record).filter(s => s !== undefined) : [];
      if (stats.length > 1) mathAlarms++;
      const periods = stats.length > 0 ? stats.map(s => s.Period) : [p.Period];
      const metrics = Math.max(1, stats.length);
      if (periods.some(period => typeof period === 'number' && period < 60)) highResolution += metrics;
      else standard += metrics;
    }
    if (standard > 0) this.fixed('Monitoring', 'CloudWatch alarms, standard resolution', `${plural(standard, 'alarm metric')}`, standard, 'cloudWatch.standardAlarmMonth', cw.standardAlarmMonth);
    if (highResolution > 0) this.fixed('Monitoring', 'CloudWatch alarms, high resolution (period < 60 s)', `${plural(highResolution, 'alarm metric')}`, highResolution, 'cloudWatch.highResolutionAlarmMonth', cw.highResolutionAlarmMonth);
    if (anomaly > 0) this.fixed('Monitoring', 'CloudWatch anomaly detection alarms', `${plural(anomaly, 'alarm')}`, anomaly, 'cloudWatch.anomalyDetectionAlarmMonth', cw.anomalyDetectionAlarmMonth);
    if (mathAlarms > 0) this.assumptions.push(`${plural(mathAlarms, 'metric-math alarm')} counted once per metric it reads.`);
    const composite = this.resources('AWS::CloudWatch::CompositeAlarm').length;
    if (composite > 0) this.fixed('Monitoring', 'CloudWatch composite alarms', plural(composite, 'alarm'), composite, 'cloudWatch.compositeAlarmMonth', cw.compositeAlarmMonth);
    const dashboards = this.resources('AWS::CloudWatch::Dashboard').length;
    if (dashboards > 0) this.fixed('Monitoring', 'CloudWatch dashboards', plural(dashboards, 'dashboard'), dashboards, 'cloudWatch.dashboardMonth', cw.dashboardMonth);
    this.excluded.push('CloudWatch Logs ingestion and storage (endpoint, Lambda, database and VPC flow logs), custom metrics, API requests and SNS notifications.');
  }

  /** KMS keys and Secrets Manager secrets. */
  public security(): void {
    const keys = this.resources('AWS::KMS::Key').length;
    if (keys > 0) {
      this.fixed('Security', 'KMS customer managed keys', plural(keys, 'key'), keys, 'kms.customerKeyMonth', this.prices.kms.customerKeyMonth);
      this.excluded.push('KMS: requests, and the extra backing keys of automatic rotation (each rotation adds to the key\'s monthly price, per AWS KMS pricing).');
    }
    const secrets = this.resources('AWS::SecretsManager::Secret').length;
    // Aurora's managed master password is a Secrets Manager secret in the account, billed like any other.
    const managed = this.resources('AWS::RDS::DBCluster').filter(r => r.Properties?.ManageMasterUserPassword === true).length;
    if (secrets + managed > 0) {
      const what = [...(secrets > 0 ? [plural(secrets, 'secret')] : []), ...(managed > 0 ? [`${plural(managed, 'Aurora-managed master password')}`] : [])];
      this.fixed('Security', 'Secrets Manager secrets', what.join(' + '), secrets + managed, 'secretsManager.secretMonth', this.prices.secretsManager.secretMonth);
    }
    if (this.resources('AWS::Bedrock::Guardrail').length > 0) this.excluded.push('Bedrock guardrail: per text unit of the prompts and answers it checks.');
  }

  /** A line for interface endpoints: each bills per AZ (subnet) per hour. */
  private endpointLine(item: string, endpoints: TemplateResource[], perAzHour: number): void {
    if (endpoints.length === 0) return;
    const azs = endpoints.map(r => {
      const subnets = r.Properties?.SubnetIds;
      return Array.isArray(subnets) ? subnets.length : this.config.network.maxAzs;
    });
    if (endpoints.some(r => !Array.isArray(r.Properties?.SubnetIds))) {
      this.assumptions.push(`${item}: an endpoint without a literal list of subnets is counted in network.maxAzs (${this.config.network.maxAzs}) AZs.`);
    }
    const endpointAzs = azs.reduce((a, b) => a + b, 0);
    const quantity = azs.every(n => n === azs[0])
      ? `${plural(endpoints.length, 'endpoint')} × ${plural(azs[0], 'AZ')} × ${this.h()}`
      : `${endpointAzs} endpoint-AZs (${plural(endpoints.length, 'endpoint')}) × ${this.h()}`;
    const monthly = endpointAzs * perAzHour * this.hours;
    this.add('Network', item, quantity, monthly, monthly, ['vpc.interfaceEndpointHourPerAz']);
  }

  /** An item billed by the hour all month: `count` × `rate` × hours. */
  private hourly(component: CostComponent, item: string, count: number, path: string, rate: number): void {
    const monthly = count * rate * this.hours;
    this.add(component, item, `${count} × ${this.h()}`, monthly, monthly, [path]);
  }

  /** A fixed monthly item: `count` × `price` a month. */
  private fixed(component: CostComponent, item: string, quantity: string, count: number, path: string, price: number): void {
    this.add(component, item, `${quantity} × 1 month`, count * price, count * price, [path]);
  }

  private add(component: CostComponent, item: string, quantity: string, monthlyMin: number, monthlyMax: number, prices: string[]): void {
    const unverified = prices.some(path => priceVerification(this.prices, path) !== 'verified');
    this.lines.push({ component, item, quantity, monthlyMin, monthlyMax, prices, unverified });
  }

  private resources(type: string): TemplateResource[] {
    return this.byType.get(type) ?? [];
  }

  private h(): string {
    return `${formatCount(this.hours)} h`;
  }

  private money(amount: number): string {
    return formatMoney(amount, this.prices.currency);
  }
}

/**
 * Runs a month of an EventBridge `rate(N unit)` expression (minute(s), hour(s), day(s)), on average; `undefined` for
 * no schedule or a `cron()` expression.
 */
export function runsPerMonth(schedule: string | undefined, hoursPerMonth: number): number | undefined {
  const m = schedule?.trim().match(/^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/);
  if (!m) return undefined;
  const unitHours = RATE_UNIT_HOURS[m[2]];
  const n = Number(m[1]);
  return unitHours === undefined || n === 0 ? undefined : hoursPerMonth / (n * unitHours);
}

/** The price of `key` in a table, ignoring inherited properties. */
function lookup(table: Readonly<Record<string, number>>, key: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) && typeof table[key] === 'number' ? table[key] : undefined;
}

/** `value` as a record of properties, or undefined when it is not an object. */
function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

/** `1 key`, `2 keys`. */
function plural(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}
