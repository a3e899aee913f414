import type * as PriceData from './price-data';

/** Where one group of prices in a {@link PriceList} comes from. */
export interface PriceSource {
  /**
   * The prices this source covers, as paths into the price list: a price (`sageMaker.hosting.ml.g5.2xlarge`) or a
   * whole table (`sageMaker.training`).
   */
  readonly items: readonly string[];
  /** Address of the page the figures were read from. */
  readonly url: string;
  /** Title of that page. */
  readonly title: string;
  /** Whether a citable page confirmed the figures; `false` marks best-knowledge figures no page confirmed. */
  readonly verified: boolean;
  /** What the page says, and how the figures were derived from it. */
  readonly detail: string;
}

/** SageMaker AI prices. */
export interface SageMakerPrices {
  /** Real-time inference (hosting) price per instance-hour, by instance type (`ml.g5.2xlarge`). */
  readonly hosting: Readonly<Record<string, number>>;
  /** On-demand training price per instance-hour, by instance type. */
  readonly training: Readonly<Record<string, number>>;
  /**
   * The largest saving of managed spot training over on-demand, as a fraction (0.9 = "up to 90 %"); actual
   * savings vary with Spot availability.
   */
  readonly spotTrainingSavings: number;
  /** General purpose (SSD) ML storage of endpoints and training jobs, per GB-month. */
  readonly mlStorageGbMonth: number;
}

/** Amazon OpenSearch Serverless prices. */
export interface OpenSearchServerlessPrices {
  /** One OpenSearch Compute Unit (indexing or search) for an hour. */
  readonly ocuHour: number;
  /** Managed storage, per GB-month. */
  readonly storageGbMonth: number;
}

/** Amazon Aurora (PostgreSQL-compatible, Aurora Standard) prices. */
export interface AuroraPrices {
  /** One Aurora capacity unit (ACU) of Serverless v2 for an hour. */
  readonly serverlessV2AcuHour: number;
  /** Cluster storage, per GB-month. */
  readonly storageGbMonth: number;
  /** I/O, per million requests. */
  readonly ioPerMillion: number;
  /** Backup storage beyond the free allowance (the cluster's size), per GB-month. */
  readonly backupGbMonth: number;
}

/** Amazon VPC and AWS PrivateLink prices. */
export interface VpcPrices {
  /** An interface VPC endpoint in one Availability Zone for an hour. */
  readonly interfaceEndpointHourPerAz: number;
  /** Data processed by interface endpoints, per GB (first tier). */
  readonly interfaceEndpointGb: number;
  /** A NAT gateway for an hour. */
  readonly natGatewayHour: number;
  /** Data processed by a NAT gateway, per GB. */
  readonly natGatewayGb: number;
  /** A public IPv4 address for an hour. */
  readonly publicIpv4Hour: number;
}

/** Amazon S3 prices. */
export interface S3Prices {
  /** S3 Standard storage, per GB-month (first 50 TB tier). */
  readonly standardGbMonth: number;
}

/** AWS KMS prices. */
export interface KmsPrices {
  /** A customer managed key, per month. */
  readonly customerKeyMonth: number;
}

/** Amazon CloudWatch prices. */
export interface CloudWatchPrices {
  /** A standard-resolution alarm metric, per month. */
  readonly standardAlarmMonth: number;
  /** A high-resolution (period under 60 seconds) alarm metric, per month. */
  readonly highResolutionAlarmMonth: number;
  /** A composite alarm, per month. */
  readonly compositeAlarmMonth: number;
  /** A standard-resolution anomaly-detection alarm, per month. */
  readonly anomalyDetectionAlarmMonth: number;
  /** A custom dashboard, per month. */
  readonly dashboardMonth: number;
  /** Log ingestion (Standard log class), per GB. */
  readonly logsIngestGb: number;
  /** Log storage (archival), per GB-month. */
  readonly logsStorageGbMonth: number;
}

/** AWS Secrets Manager prices. */
export interface SecretsManagerPrices {
  /** One secret, per month. */
  readonly secretMonth: number;
}

/**
 * List prices of one AWS region, as read from a price file (`lib/cost/prices-<region>.json`): what
 * {@link estimateMonthlyCost} multiplies the capacity of an environment with.
 */
export interface PriceList {
  /** The region the prices are for, e.g. `us-east-1`. */
  readonly region: string;
  /** ISO 4217 currency of every price, e.g. `USD`. */
  readonly currency: string;
  /** The date the prices were gathered (YYYY-MM-DD). */
  readonly retrieved: string;
  /** What the prices are and are not (list on-demand prices; taxes, free tier and savings plans excluded). */
  readonly note: string;
  /** Hours in a billing month, for hourly prices (AWS uses 730). */
  readonly hoursPerMonth: number;
  /** SageMaker AI hosting and training. */
  readonly sageMaker: SageMakerPrices;
  /** OpenSearch Serverless. */
  readonly openSearchServerless: OpenSearchServerlessPrices;
  /** Aurora Serverless v2. */
  readonly aurora: AuroraPrices;
  /** VPC endpoints, NAT gateways and public IPv4 addresses. */
  readonly vpc: VpcPrices;
  /** S3. */
  readonly s3: S3Prices;
  /** KMS. */
  readonly kms: KmsPrices;
  /** CloudWatch alarms, dashboards and logs. */
  readonly cloudWatch: CloudWatchPrices;
  /** Secrets Manager. */
  readonly secretsManager: SecretsManagerPrices;
  /** Where each price comes from, and whether a citable page confirmed it. */
  readonly sources: readonly PriceSource[];
}

/** The file the default price list is read from, relative to the package root. */
export const DEFAULT_PRICE_FILE = 'lib/cost/prices-us-east-1.json';

/**
 * The price list that ships with the package: list on-demand prices of us-east-1 from
 * `lib/cost/prices-us-east-1.json` (see its `retrieved` date and each source's `verified` flag).
 * The file is read on first call, not when the package is imported.
 */
export function defaultPriceList(): PriceList {
  // Loaded lazily: importing the package must not parse the price file.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const data = require('./price-data') as typeof PriceData;
  return data.PRICES_US_EAST_1;
}

/** Whether a source vouches for the price at `path` (the source names the price or a table that holds it). */
function covers(source: PriceSource, path: string): boolean {
  return source.items.some(item => path === item || path.startsWith(`${item}.`));
}

/**
 * How well the price at `path` (e.g. `sageMaker.training.ml.g5.2xlarge`) is sourced: `verified` when a source with
 * `verified: true` covers it, `unverified` when only sources with `verified: false` do, `unsourced` when none does.
 */
export function priceVerification(prices: PriceList, path: string): 'verified' | 'unverified' | 'unsourced' {
  const sources = prices.sources.filter(s => covers(s, path));
  if (sources.some(s => s.verified)) return 'verified';
  return sources.length > 0 ? 'unverified' : 'unsourced';
}
