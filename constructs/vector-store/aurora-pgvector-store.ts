import { ArnFormat, Duration, Names, RemovalPolicy, Resource, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PG_IDENTIFIER, PgVectorSchemaProperties } from './handlers/contracts';
import { HnswOptions, IVectorStore, VectorDistance } from './vector-store';
import { acknowledgeComplianceRule, acknowledgeWildcardResource } from '../common/compliance';
import { CustomResourceFunction, warnImportedKey } from '../common/custom-resource-function';
import { LeastPrivilegeRole } from '../common/least-privilege-role';
import { PropValidator } from '../common/validation';
import { LlmOpsFoundation, selectPrivateSubnets } from '../foundation/llmops-foundation';
import { allowCloudWatchLogs } from '../foundation/secure-defaults';
import { RDS_DATA_ACTIONS, RDS_IAM_CONNECT_ACTIONS, SECRET_READ_ACTIONS } from '../permissions';

/** Props of {@link AuroraPgVectorStore}. */
export interface AuroraPgVectorStoreProps {
  /** Number of dimensions of the embeddings (1–2000: the most a pgvector HNSW index of type `vector` supports). */
  readonly dimension: number;
  /**
   * Similarity measure of the HNSW index (selects its operator class).
   * @default VectorDistance.COSINE
   */
  readonly distance?: VectorDistance;
  /**
   * HNSW parameters.
   * @default - m 16, efConstruction 64 (pgvector's defaults; at least 2 × m when only m is given)
   */
  readonly hnsw?: HnswOptions;
  /**
   * Database name.
   * @default 'rag'
   */
  readonly databaseName?: string;
  /**
   * Schema of the table.
   * @default 'rag'
   */
  readonly schemaName?: string;
  /**
   * Table of chunks: `id uuid`, `content text`, `metadata jsonb`, `embedding vector(dimension)`.
   * @default 'chunks'
   */
  readonly tableName?: string;
  /**
   * Fewest Aurora capacity units (0–256, in steps of 0.5). 0 lets the cluster pause when idle (dev); the first
   * query after a pause waits for it to resume.
   * @default 0.5
   */
  readonly minCapacity?: number;
  /**
   * Most Aurora capacity units (1–256, in steps of 0.5, at least `minCapacity`).
   * @default 4
   */
  readonly maxCapacity?: number;
  /**
   * Aurora PostgreSQL version (with pgvector).
   * @default rds.AuroraPostgresEngineVersion.VER_17_5
   */
  readonly engineVersion?: rds.AuroraPostgresEngineVersion;
  /**
   * Customer managed key for storage, the credentials secret, logs and the handler.
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * VPC of the cluster and the schema manager.
   * @default - a new private VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of the cluster and the schema manager.
   * @default - private subnets (isolated ones if the VPC has any)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Create a VPC interface endpoint for the RDS Data API, which the schema manager needs in private subnets. Turn
   * off when the VPC already has one (private DNS would clash).
   * @default true
   */
  readonly createVpcEndpoints?: boolean;
  /**
   * What happens to the cluster (and the table) when it leaves the stack: SNAPSHOT or RETAIN keep the data and turn
   * deletion protection on; DESTROY (dev only) deletes it.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Automated backup retention (1–35 days).
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;
  /**
   * Retention of the PostgreSQL log export and the schema manager's logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** The pgvector operator class of each distance. */
export const PGVECTOR_OPERATOR_CLASS: Readonly<Record<VectorDistance, string>> = {
  [VectorDistance.COSINE]: 'vector_cosine_ops',
  [VectorDistance.EUCLIDEAN]: 'vector_l2_ops',
  [VectorDistance.INNER_PRODUCT]: 'vector_ip_ops',
};

/** The port of the cluster (not PostgreSQL's default 5432). */
export const AURORA_PGVECTOR_PORT = 5438;

/** The Serverless v2 capacity range (ACUs) of an AuroraPgVectorStore whose props leave it out. */
export const AURORA_PGVECTOR_DEFAULT_CAPACITY = { min: 0.5, max: 4 } as const;

/**
 * Aurora PostgreSQL Serverless v2 with pgvector: storage, secret and logs encrypted with a customer key, IAM
 * authentication, the Data API, an administrator secret that Aurora manages and rotates, log exports, backups and deletion protection; the extension,
 * table and HNSW index are created at deploy time through the Data API by a TypeScript Lambda (no Docker).
 */
export class AuroraPgVectorStore extends Resource implements IVectorStore {
  public readonly dimension: number;
  public readonly distance: VectorDistance;
  /** The cluster. */
  public readonly cluster: rds.DatabaseCluster;
  /** The secret of the administrator credentials, managed by Aurora (KMS-encrypted, rotated every 7 days). */
  public readonly secret: secretsmanager.ISecret;
  /** The database name. */
  public readonly databaseName: string;
  /** The schema name. */
  public readonly schemaName: string;
  /** The table name. */
  public readonly tableName: string;
  /** The cluster's security group; allow clients with `store.connections.allowDefaultPortFrom()`. */
  public readonly connections: ec2.Connections;
  /** The foundation this store created for itself when no VPC or key was given. */
  public readonly foundation?: LlmOpsFoundation;
  /** The customer managed key of storage, secret and logs. */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: AuroraPgVectorStoreProps) {
    super(scope, id);
    this.dimension = props.dimension;
    this.distance = props.distance ?? VectorDistance.COSINE;
    this.databaseName = props.databaseName ?? 'rag';
    this.schemaName = props.schemaName ?? 'rag';
    this.tableName = props.tableName ?? 'chunks';
    const m = props.hnsw?.m ?? 16;
    const efConstruction = props.hnsw?.efConstruction ?? (Token.isUnresolved(m) ? 64 : Math.max(64, 2 * m));
    const minCapacity = props.minCapacity ?? AURORA_PGVECTOR_DEFAULT_CAPACITY.min;
    const maxCapacity = props.maxCapacity ?? AURORA_PGVECTOR_DEFAULT_CAPACITY.max;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    const backupRetention = props.backupRetention ?? Duration.days(7);

    const v = new PropValidator('AuroraPgVectorStore', this);
    v.range('LLMOPS_VECTOR_DIMENSION', 'dimension', props.dimension, 1, 2000, '(a pgvector HNSW index of type vector supports at most 2000 dimensions)');
    for (const [prop, value] of [['databaseName', this.databaseName], ['schemaName', this.schemaName], ['tableName', this.tableName]] as const) {
      if (Token.isUnresolved(value)) continue;
      v.check(PG_IDENTIFIER.test(value), 'LLMOPS_PG_IDENTIFIER', prop, value,
        "is not an identifier this library accepts; allowed: 1-63 lower-case letters, digits and '_', not starting with a digit");
    }
    if (!Token.isUnresolved(this.databaseName) && PG_IDENTIFIER.test(this.databaseName)) {
      v.check(/^[a-z]/.test(this.databaseName), 'LLMOPS_PG_IDENTIFIER', 'databaseName', this.databaseName, 'must start with a letter (an RDS DatabaseName rule)');
    }
    for (const [prop, value] of [['schemaName', this.schemaName], ['tableName', this.tableName]] as const) {
      if (!Token.isUnresolved(value) && PG_IDENTIFIER.test(value)) {
        v.check(!value.startsWith('pg_'), 'LLMOPS_PG_IDENTIFIER', prop, value, "must not start with 'pg_', which PostgreSQL reserves for system objects");
      }
    }
    if (!Token.isUnresolved(this.tableName) && PG_IDENTIFIER.test(this.tableName)) {
      v.check(`${this.tableName}_embedding_hnsw`.length <= 63 && `${this.tableName}_writer`.length <= 63, 'LLMOPS_PG_IDENTIFIER', 'tableName', this.tableName,
        'is too long: the index name <table>_embedding_hnsw must fit in 63 characters (use at most 48)');
    }
    if (v.range('LLMOPS_HNSW_RANGE', 'hnsw.m', m, 2, 100) && !Token.isUnresolved(efConstruction)) {
      v.range('LLMOPS_HNSW_RANGE', 'hnsw.efConstruction', efConstruction, 2 * m, 1000, '(pgvector needs at least 2 × m)');
    }
    const halfStep = (x: number) => Number.isInteger(x * 2);
    const minOk = v.range('LLMOPS_AURORA_CAPACITY', 'minCapacity', minCapacity, 0, 256, 'ACU', true);
    const maxOk = v.range('LLMOPS_AURORA_CAPACITY', 'maxCapacity', maxCapacity, 1, 256, 'ACU', true);
    if (minOk) v.check(halfStep(minCapacity), 'LLMOPS_AURORA_CAPACITY', 'minCapacity', minCapacity, 'is not a multiple of 0.5 ACU, which Aurora Serverless v2 requires');
    if (maxOk) v.check(halfStep(maxCapacity), 'LLMOPS_AURORA_CAPACITY', 'maxCapacity', maxCapacity, 'is not a multiple of 0.5 ACU, which Aurora Serverless v2 requires');
    if (minOk && maxOk) {
      v.check(minCapacity <= maxCapacity, 'LLMOPS_AURORA_CAPACITY', 'minCapacity', minCapacity, `is greater than maxCapacity (${maxCapacity}); allowed: minCapacity ≤ maxCapacity`);
    }
    if (!Token.isUnresolved(backupRetention.toDays({ integral: false }))) {
      v.range('LLMOPS_BACKUP_RETENTION', 'backupRetention', backupRetention.toDays({ integral: false }), 1, 35, 'days');
    }
    v.throwIfInvalid();

    if (!props.vpc || !props.encryptionKey) {
      // SNAPSHOT applies to the cluster; the key that encrypts its final snapshot (and the log buckets) are retained.
      this.foundation = new LlmOpsFoundation(this, 'Foundation', {
        encryptionKey: props.encryptionKey,
        vpc: props.vpc,
        removalPolicy: removalPolicy === RemovalPolicy.SNAPSHOT ? RemovalPolicy.RETAIN : removalPolicy,
      });
    }
    const key = props.encryptionKey ?? this.foundation!.encryptionKey;
    this.encryptionKey = key;
    const vpc = props.vpc ?? this.foundation!.vpc;
    const vpcSubnets = props.vpcSubnets ?? selectPrivateSubnets(vpc, false);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const protectData = removalPolicy !== RemovalPolicy.DESTROY;

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      allowAllOutbound: false,
      description: `Aurora pgvector cluster of ${this.node.path}: PostgreSQL from allowed clients only`,
    });

    // The PostgreSQL log export goes to a log group we own: encrypted, with retention, no LogRetention Lambda.
    const clusterIdentifier = Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).toLowerCase().replace(/[^a-z0-9-]/g, '').replace(/^[^a-z]+/, 'c');
    if (!allowCloudWatchLogs(key, '/aws/rds/cluster/')) warnImportedKey(this, key, '/aws/rds/cluster/');
    const logGroup = new logs.LogGroup(this, 'PostgresqlLogs', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      encryptionKey: key,
      retention: logRetention,
      removalPolicy: protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const monitoringRole = this.createMonitoringRole();
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      clusterIdentifier,
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: props.engineVersion ?? rds.AuroraPostgresEngineVersion.VER_17_5 }),
      writer: rds.ClusterInstance.serverlessV2('Writer', {
        autoMinorVersionUpgrade: true,
        publiclyAccessible: false,
        enablePerformanceInsights: true,
        performanceInsightEncryptionKey: key,
      }),
      serverlessV2MinCapacity: minCapacity,
      serverlessV2MaxCapacity: maxCapacity,
      vpc,
      vpcSubnets,
      securityGroups: [securityGroup],
      port: AURORA_PGVECTOR_PORT,
      defaultDatabaseName: this.databaseName,
      // Aurora manages the administrator secret (encrypted with the key) and rotates it itself, every 7 days: no
      // rotation Lambda, so no role outside this stack's guardrails and no AWS managed policy.
      credentials: rds.Credentials.fromUsername('llmops_admin', { encryptionKey: key }),
      manageMasterUserPassword: true,
      storageEncrypted: true,
      storageEncryptionKey: key,
      iamAuthentication: true,
      enableDataApi: true,
      cloudwatchLogsExports: ['postgresql'],
      backup: { retention: backupRetention },
      deletionProtection: protectData,
      removalPolicy,
      monitoringInterval: Duration.seconds(60),
      monitoringRole,
      copyTagsToSnapshot: true,
    });
    this.cluster.node.addDependency(logGroup);
    // Clients get rules with the literal port (the cluster's own connections carry it as a token).
    this.connections = new ec2.Connections({ securityGroups: [securityGroup], defaultPort: ec2.Port.tcp(AURORA_PGVECTOR_PORT) });
    this.secret = this.cluster.secret!;
    if (!protectData) {
      const reason = 'removalPolicy DESTROY was chosen (a dev environment): the cluster must be deletable with its stack';
      Validations.of(this.cluster).acknowledge({ id: 'AwsSolutions-RDS10', reason });
      acknowledgeComplianceRule(this.cluster, 'RDSInstanceDeletionProtectionEnabled', reason);
    }
    const backupReason = `Aurora automated backups with ${backupRetention.toDays()}-day point-in-time recovery${protectData ? ', deletion protection and a final snapshot' : ''}; an AWS Backup plan is an account-level choice`;
    acknowledgeComplianceRule(this.cluster, 'RDSInBackupPlan', backupReason);

    const endpoints: Construct[] = [];
    if (props.createVpcEndpoints ?? true) {
      const endpointSg = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc, allowAllOutbound: false, description: `RDS Data API endpoint of ${this.node.path}`,
      });
      endpoints.push(new ec2.InterfaceVpcEndpoint(this, 'RdsDataEndpoint', {
        vpc, service: ec2.InterfaceVpcEndpointAwsService.RDS_DATA, subnets: vpcSubnets, securityGroups: [endpointSg], open: false, privateDnsEnabled: true,
      }));
      this.endpointsSecurityGroup = endpointSg;
      endpoints.push(endpointSg);
    }

    // The schema manager: Data API statements for the extension, table and HNSW index.
    const manager = new CustomResourceFunction(this, 'SchemaManager', {
      handler: 'pgvector-schema',
      description: `Creates the pgvector extension, table and index of ${this.node.path}`,
      vpc,
      vpcSubnets,
      encryptionKey: key,
      timeout: Duration.minutes(10),
      logRetention,
      removalPolicy,
    });
    this.allowHttpsFrom(manager.securityGroup);
    this.grantDataApiAccess(manager.role);
    const properties: PgVectorSchemaProperties = {
      ClusterArn: this.cluster.clusterArn,
      SecretArn: this.secret.secretArn,
      Database: this.databaseName,
      Schema: this.schemaName,
      Table: this.tableName,
      Dimension: String(this.dimension),
      OperatorClass: PGVECTOR_OPERATOR_CLASS[this.distance],
      M: String(m),
      EfConstruction: String(efConstruction),
      RetainOnDelete: String(protectData),
    };
    const schema = manager.addResource('Schema', this, 'Custom::LlmOpsPgVectorSchema', { ...properties }, protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    // The Data API endpoint must outlive the schema resource, whose Delete may drop the table through it.
    schema.node.addDependency(this.cluster, ...endpoints);
  }

  private endpointsSecurityGroup?: ec2.SecurityGroup;

  /**
   * Lets `grantee` sign in as the table's read-only database user `<table>_reader` with IAM authentication
   * (`rds-db:connect`); the user may only SELECT from the table.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantConnect(grantee, `${this.tableName}_reader`);
  }

  /**
   * Lets `grantee` sign in as the table's database user `<table>_writer` with IAM authentication
   * (`rds-db:connect`); the user may SELECT, INSERT, UPDATE and DELETE rows of the table.
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantConnect(grantee, `${this.tableName}_writer`);
  }

  /**
   * Lets `grantee` run SQL through the RDS Data API with the administrator secret (schema changes, bulk loads).
   * Prefer grantRead/grantWrite for applications.
   */
  public grantDataApiAccess(grantee: iam.IGrantable): iam.Grant {
    // Granted on the principal only (not through the key policy, as Secret.grantRead does), so that the key never
    // references a role whose policy references the cluster: that would be a dependency cycle.
    iam.Grant.addToPrincipal({ grantee, actions: SECRET_READ_ACTIONS, resourceArns: [this.secret.secretArn] });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [this.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
    });
    return iam.Grant.addToPrincipal({ grantee, actions: RDS_DATA_ACTIONS, resourceArns: [this.cluster.clusterArn] });
  }

  public connectionEnvironment(): Record<string, string> {
    return {
      VECTOR_STORE_KIND: 'aurora-pgvector',
      VECTOR_STORE_HOST: this.cluster.clusterEndpoint.hostname,
      VECTOR_STORE_PORT: String(AURORA_PGVECTOR_PORT),
      VECTOR_STORE_DATABASE: this.databaseName,
      VECTOR_STORE_TABLE: `${this.schemaName}.${this.tableName}`,
      VECTOR_STORE_READER_USER: `${this.tableName}_reader`,
      VECTOR_STORE_WRITER_USER: `${this.tableName}_writer`,
      VECTOR_STORE_CLUSTER_ARN: this.cluster.clusterArn,
      VECTOR_STORE_SECRET_ARN: this.secret.secretArn,
      VECTOR_STORE_DIMENSION: String(this.dimension),
      VECTOR_STORE_DISTANCE: this.distance,
    };
  }

  /** Any `AWS/RDS` metric of the cluster (dimension DBClusterIdentifier). @default - Average over 5 minutes */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cluster.metric(metricName, props);
  }

  /** Aurora capacity units in use. @default - Average over 5 minutes */
  public metricServerlessDatabaseCapacity(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cluster.metricServerlessDatabaseCapacity(props);
  }

  /** Capacity in use as a percentage of maxCapacity. @default - Average over 5 minutes */
  public metricAcuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cluster.metricACUUtilization(props);
  }

  /** Open database connections. @default - Average over 5 minutes */
  public metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cluster.metricDatabaseConnections(props);
  }

  /** CPU utilisation in percent. @default - Average over 5 minutes */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.cluster.metricCPUUtilization(props);
  }

  private grantConnect(grantee: iam.IGrantable, user: string): iam.Grant {
    const stack = Stack.of(this);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: RDS_IAM_CONNECT_ACTIONS,
      resourceArns: [stack.formatArn({
        service: 'rds-db', resource: 'dbuser', resourceName: `${this.cluster.clusterResourceIdentifier}/${user}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
    });
  }

  private allowHttpsFrom(peer: ec2.IConnectable): void {
    if (this.endpointsSecurityGroup) this.endpointsSecurityGroup.connections.allowFrom(peer, ec2.Port.tcp(443), 'HTTPS to the RDS Data API endpoint');
  }

  /** The enhanced-monitoring role, built like AmazonRDSEnhancedMonitoringRole but as a customer managed policy. */
  private createMonitoringRole(): iam.IRole {
    const role = new LeastPrivilegeRole(this, 'MonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
      description: `RDS enhanced monitoring of ${this.node.path}`,
    });
    const stack = Stack.of(this);
    const group = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: 'RDSOSMetrics', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const streams = `${group}:log-stream:*`;
    iam.Grant.addToPrincipal({ grantee: role, actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'], resourceArns: [group] });
    iam.Grant.addToPrincipal({ grantee: role, actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'], resourceArns: [streams] });
    acknowledgeWildcardResource(role, streams, 'RDS names one RDSOSMetrics log stream per DB instance resource ID, unknown before deploy; the grant is limited to the RDSOSMetrics log group');
    return role;
  }
}
