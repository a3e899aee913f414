import { App, CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AuroraPgVectorStore, AuroraPgVectorStoreProps, CustomResourceFunction, VectorDistance } from '../../constructs';
import { newStack, validationError } from '../util';

function store(stack: Stack, props: Partial<AuroraPgVectorStoreProps> = {}, id = 'Store'): AuroraPgVectorStore {
  return new AuroraPgVectorStore(stack, id, { dimension: 1024, ...props });
}

function lambdaRole(stack: Stack, id: string): iam.Role {
  return new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

function isolatedVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
}

function schemaManager(s: AuroraPgVectorStore): CustomResourceFunction {
  return s.node.findChild('SchemaManager') as CustomResourceFunction;
}

/** The logical ID behind a Ref or GetAtt token. */
function logicalId(stack: Stack, token: string): string {
  const resolved = stack.resolve(token);
  return resolved.Ref ?? resolved['Fn::GetAtt'][0];
}

/** The service suffix of every interface endpoint, e.g. `rds-data`. */
function endpointServices(t: Template): string[] {
  return Object.values(t.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }))
    .map(r => JSON.stringify(r.Properties.ServiceName).match(/\.([a-z.-]+)"\]\]\}$/)![1]);
}

describe('When a store is created with only a dimension and principals are granted', () => {
  const stack = newStack();
  const s = store(stack);
  const reader = lambdaRole(stack, 'Reader');
  const writer = lambdaRole(stack, 'Writer');
  s.grantRead(reader);
  s.grantWrite(writer);
  const t = Template.fromStack(stack);
  const keyArn = stack.resolve(s.foundation!.encryptionKey.keyArn);
  const clusterId = logicalId(stack, s.cluster.clusterIdentifier);
  const [cluster] = Object.values(t.findResources('AWS::RDS::DBCluster'));

  test('the cluster is Aurora PostgreSQL 17.5 Serverless v2 from 0.5 to 4 ACU on port 5438', () => {
    t.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EngineVersion: '17.5',
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      Port: 5438,
      DatabaseName: 'rag',
    });
    t.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless', Engine: 'aurora-postgresql' });
    expect(s.connections.defaultPort?.toString()).toBe('5438');
  });

  test('storage is encrypted with the customer key; IAM authentication and the Data API are on', () => {
    t.hasResourceProperties('AWS::RDS::DBCluster', {
      StorageEncrypted: true,
      KmsKeyId: keyArn,
      EnableIAMDatabaseAuthentication: true,
      EnableHttpEndpoint: true,
    });
  });

  test('PostgreSQL logs are exported and backups are kept 7 days', () => {
    t.hasResourceProperties('AWS::RDS::DBCluster', { EnableCloudwatchLogsExports: ['postgresql'], BackupRetentionPeriod: 7 });
  });

  test('the cluster has deletion protection and leaves a snapshot when it leaves the stack', () => {
    t.hasResource('AWS::RDS::DBCluster', { Properties: Match.objectLike({ DeletionProtection: true }), DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' });
  });

  // CloudFormation ignores Snapshot on resources that cannot be snapshotted and deletes them: the key would be
  // scheduled for deletion, leaving the final cluster snapshot (encrypted with it) unrestorable, and the deletion
  // of a non-empty flow-log bucket fails.
  test('the key that encrypts the final snapshot, and the flow-log bucket, are retained when the cluster keeps a snapshot', () => {
    t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const buckets = Object.values(t.findResources('AWS::S3::Bucket'));
    expect(buckets.length).toBeGreaterThan(0);
    for (const bucket of buckets) expect(bucket.DeletionPolicy).toBe('Retain');
  });

  // cdk.json turns on @aws-cdk/core:validateSnapshotRemovalPolicy, under which a Snapshot policy on a resource
  // that cannot be snapshotted throws at synth.
  test("a store with only a dimension can be built under the project's feature flag that rejects Snapshot on resources without snapshots", () => {
    const app = new App({ context: { '@aws-cdk/core:validateSnapshotRemovalPolicy': true } });
    expect(() => store(new Stack(app, 'TestStack'))).not.toThrow();
  });

  test('Aurora manages and rotates the administrator secret, encrypted with the customer key: no secret, rotation Lambda or nested stack in the template', () => {
    t.hasResourceProperties('AWS::RDS::DBCluster', { MasterUsername: 'llmops_admin', ManageMasterUserPassword: true, MasterUserSecret: { KmsKeyId: keyArn } });
    expect(cluster.Properties.MasterUserPassword).toBeUndefined();
    for (const type of ['AWS::SecretsManager::Secret', 'AWS::SecretsManager::RotationSchedule', 'AWS::Serverless::Application', 'AWS::Lambda::Function']) {
      expect(Object.values(t.toJSON().Resources).filter((r: any) => r.Type === type && !(type === 'AWS::Lambda::Function' && JSON.stringify(r).includes('SchemaManager')))).toEqual([]);
    }
    expect(stack.resolve(s.secret.secretArn)).toEqual({ 'Fn::GetAtt': [clusterId, 'MasterUserSecret.SecretArn'] });
  });

  test('the PostgreSQL log group is named for the cluster, KMS-encrypted with retention, and created before the cluster', () => {
    const groups = t.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: `/aws/rds/cluster/${cluster.Properties.DBClusterIdentifier}/postgresql` } });
    const [groupId] = Object.keys(groups);
    expect(Object.keys(groups)).toHaveLength(1);
    expect(groups[groupId].Properties).toMatchObject({ KmsKeyId: keyArn, RetentionInDays: 365 });
    expect(groups[groupId].DeletionPolicy).toBe('Retain');
    expect(cluster.DependsOn).toContain(groupId);
  });

  test('the writer upgrades minor versions automatically and has enhanced monitoring every 60 s, not publicly accessible', () => {
    t.hasResourceProperties('AWS::RDS::DBInstance', {
      DBClusterIdentifier: { Ref: clusterId },
      AutoMinorVersionUpgrade: true,
      MonitoringInterval: 60,
      MonitoringRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreMonitoringRole'), 'Arn'] },
      PubliclyAccessible: false,
      PerformanceInsightsKMSKeyId: keyArn,
    });
  });

  test('the monitoring role is assumed by RDS monitoring and has no AWS managed policy', () => {
    const roles = t.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'monitoring.rds.amazonaws.com' } })] } },
    });
    const [role] = Object.values(roles);
    expect(Object.keys(roles)).toHaveLength(1);
    expect(role.Properties.ManagedPolicyArns).toEqual([{ Ref: expect.stringMatching(/^StoreMonitoringRoleGrants/) }]);
    expect(JSON.stringify(role)).not.toContain(':iam::aws:policy');
  });

  test('an interface endpoint for the RDS Data API is created in the private subnets with private DNS; Secrets Manager needs none', () => {
    const services = endpointServices(t);
    expect(services.filter(x => x === 'rds-data')).toHaveLength(1);
    expect(services.filter(x => x === 'secretsmanager')).toHaveLength(0);
    const subnets = stack.resolve(s.foundation!.vpc.isolatedSubnets.map(x => x.subnetId));
    for (const service of ['rds-data']) {
      t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, `.${service}`]] },
        PrivateDnsEnabled: true,
        SubnetIds: subnets,
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreEndpointSecurityGroup'), 'GroupId'] }],
      });
    }
  });

  test('the endpoint admits HTTPS only from the schema manager', () => {
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StoreEndpointSecurityGroup'), 'GroupId'] } },
    })).map(r => r.Properties);
    expect(ingress).toHaveLength(1);
    for (const rule of ingress) expect(rule).toMatchObject({ FromPort: 443, ToPort: 443, IpProtocol: 'tcp' });
    expect(ingress.map(r => r.SourceSecurityGroupId['Fn::GetAtt'][0])).toEqual([expect.stringMatching(/^StoreSchemaManagerSecurityGroup/)]);
  });

  test('the schema resource carries the dimension, the cosine operator class, HNSW parameters and names, and keeps the table', () => {
    t.hasResource('Custom::LlmOpsPgVectorSchema', {
      Properties: {
        ServiceToken: stack.resolve(schemaManager(s).function.functionArn),
        ClusterArn: stack.resolve(s.cluster.clusterArn),
        SecretArn: stack.resolve(s.secret.secretArn),
        Database: 'rag',
        Schema: 'rag',
        Table: 'chunks',
        Dimension: '1024',
        OperatorClass: 'vector_cosine_ops',
        M: '16',
        EfConstruction: '64',
        RetainOnDelete: 'true',
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('the schema is created only after the cluster and its writer', () => {
    const [schema] = Object.values(t.findResources('Custom::LlmOpsPgVectorSchema'));
    expect(schema.DependsOn).toEqual(expect.arrayContaining([clusterId, expect.stringMatching(/^StoreClusterWriter/)]));
  });

  test("the schema manager's role may call the Data API on this cluster and read and decrypt its secret", () => {
    const roleArn = stack.resolve(schemaManager(s).role.roleArn);
    const roleId = roleArn['Fn::GetAtt'][0];
    const policyIds = t.findResources('AWS::IAM::Role')[roleId].Properties.ManagedPolicyArns.map((x: any) => x.Ref);
    const managed = t.findResources('AWS::IAM::ManagedPolicy');
    const statements = policyIds.flatMap((id: string) => managed[id].Properties.PolicyDocument.Statement);
    const allows = (action: string) => statements.filter((x: any) => [x.Action].flat().includes(action));
    expect(allows('rds-data:ExecuteStatement').map((x: any) => x.Resource)).toEqual([stack.resolve(s.cluster.clusterArn)]);
    expect(allows('rds-data:BatchExecuteStatement')).toHaveLength(1);
    expect(allows('secretsmanager:GetSecretValue').map((x: any) => x.Resource)).toEqual([stack.resolve(s.secret.secretArn)]);
    // kms:Decrypt may sit in the role's policy or in the key policy, but only through Secrets Manager.
    const [key] = Object.values(t.findResources('AWS::KMS::Key'));
    const keyStatements = key.Properties.KeyPolicy.Statement.filter((x: any) => JSON.stringify(x.Principal) === JSON.stringify({ AWS: roleArn }));
    const decrypt = [...allows('kms:Decrypt'), ...keyStatements.filter((x: any) => [x.Action].flat().includes('kms:Decrypt'))];
    expect(decrypt).toHaveLength(1);
    expect(JSON.stringify(decrypt[0].Condition)).toContain('secretsmanager.');
    expect(JSON.stringify(t.findResources('AWS::IAM::Role')[roleId])).not.toContain(':iam::aws:policy');
  });

  test('the schema manager is a Node.js 24 Lambda in the private subnets, without a concurrency reservation that small accounts reject', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('pgvector extension, table and index of TestStack/Store'),
      Runtime: 'nodejs24.x',
      ReservedConcurrentExecutions: Match.absent(),
      VpcConfig: Match.objectLike({ SubnetIds: stack.resolve(s.foundation!.vpc.isolatedSubnets.map(x => x.subnetId)) }),
    });
  });

  test.each([['grantRead', 'Reader', 'chunks_reader'], ['grantWrite', 'Writer', 'chunks_writer']])(
    '%s gives rds-db:connect as the table user %s on this cluster only', (_grant, roleId, user) => {
      const grantee = roleId === 'Reader' ? reader : writer;
      t.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(grantee.roleName)],
        PolicyDocument: {
          Statement: [{
            Action: 'rds-db:connect',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', [
                'arn:', { Ref: 'AWS::Partition' }, ':rds-db:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':dbuser:',
                { 'Fn::GetAtt': [clusterId, 'DBClusterResourceId'] }, `/${user}`,
              ]],
            },
          }],
        },
      });
    });

  test('connectionEnvironment gives host, port, database, table, users, cluster and secret ARNs, dimension and distance', () => {
    expect(stack.resolve(s.connectionEnvironment())).toEqual({
      VECTOR_STORE_KIND: 'aurora-pgvector',
      VECTOR_STORE_HOST: { 'Fn::GetAtt': [clusterId, 'Endpoint.Address'] },
      VECTOR_STORE_PORT: '5438',
      VECTOR_STORE_DATABASE: 'rag',
      VECTOR_STORE_TABLE: 'rag.chunks',
      VECTOR_STORE_READER_USER: 'chunks_reader',
      VECTOR_STORE_WRITER_USER: 'chunks_writer',
      VECTOR_STORE_CLUSTER_ARN: stack.resolve(s.cluster.clusterArn),
      VECTOR_STORE_SECRET_ARN: stack.resolve(s.secret.secretArn),
      VECTOR_STORE_DIMENSION: '1024',
      VECTOR_STORE_DISTANCE: 'COSINE',
    });
  });

  test('metrics read AWS/RDS for this cluster, averaged over 5 minutes; the caller can override options', () => {
    const metrics = [
      [s.metricServerlessDatabaseCapacity(), 'ServerlessDatabaseCapacity'],
      [s.metricAcuUtilization(), 'ACUUtilization'],
      [s.metricDatabaseConnections(), 'DatabaseConnections'],
      [s.metricCpuUtilization(), 'CPUUtilization'],
      [s.metric('FreeableMemory'), 'FreeableMemory'],
    ] as const;
    for (const [m, name] of metrics) {
      expect(m.namespace).toBe('AWS/RDS');
      expect(m.metricName).toBe(name);
      expect(m.statistic).toBe('Average');
      expect(m.period.toMinutes()).toBe(5);
      expect(stack.resolve(m.dimensions)).toEqual({ DBClusterIdentifier: { Ref: clusterId } });
    }
    const custom = s.metricCpuUtilization({ statistic: 'Maximum', period: Duration.minutes(1) });
    expect(custom.statistic).toBe('Maximum');
    expect(custom.period.toMinutes()).toBe(1);
  });
});

describe('When a dev store pauses when idle, is destroyed with its stack and brings its own VPC, key, names and endpoints', () => {
  const stack = newStack();
  const vpc = isolatedVpc(stack);
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const s = store(stack, {
    dimension: 768,
    distance: VectorDistance.EUCLIDEAN,
    hnsw: { m: 24, efConstruction: 100 },
    databaseName: 'kb',
    schemaName: 'vectors',
    tableName: 'docs',
    minCapacity: 0,
    maxCapacity: 2,
    removalPolicy: RemovalPolicy.DESTROY,
    createVpcEndpoints: false,
    backupRetention: Duration.days(14),
    vpc,
    encryptionKey: key,
  });
  const t = Template.fromStack(stack);

  test('it uses the given VPC and key and creates no foundation of its own', () => {
    expect(s.foundation).toBeUndefined();
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.hasResourceProperties('AWS::RDS::DBCluster', { KmsKeyId: stack.resolve(key.keyArn) });
    t.hasResourceProperties('AWS::RDS::DBCluster', { MasterUserSecret: { KmsKeyId: stack.resolve(key.keyArn) } });
  });

  test('a minimum capacity of 0 lets the cluster pause', () => {
    t.hasResourceProperties('AWS::RDS::DBCluster', { ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 2 } });
  });

  test('the cluster has no deletion protection and is deleted with the stack, and so is the table', () => {
    t.hasResource('AWS::RDS::DBCluster', { Properties: Match.objectLike({ DeletionProtection: false }), DeletionPolicy: 'Delete' });
    t.hasResource('Custom::LlmOpsPgVectorSchema', { Properties: Match.objectLike({ RetainOnDelete: 'false' }), DeletionPolicy: 'Delete' });
    t.hasResource('AWS::Logs::LogGroup', { Properties: Match.objectLike({ LogGroupName: Match.stringLikeRegexp('^/aws/rds/cluster/') }), DeletionPolicy: 'Delete' });
  });

  test('backups are kept 14 days', () => {
    t.hasResourceProperties('AWS::RDS::DBCluster', { BackupRetentionPeriod: 14, DatabaseName: 'kb' });
  });

  test('no interface endpoints are created', () => {
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  test('the schema resource carries the L2 operator class, the HNSW parameters and the given names', () => {
    t.hasResourceProperties('Custom::LlmOpsPgVectorSchema', {
      Database: 'kb', Schema: 'vectors', Table: 'docs', Dimension: '768', OperatorClass: 'vector_l2_ops', M: '24', EfConstruction: '100',
    });
  });

  test('connectionEnvironment and the table users follow the given names', () => {
    expect(s.connectionEnvironment()).toMatchObject({
      VECTOR_STORE_DATABASE: 'kb', VECTOR_STORE_TABLE: 'vectors.docs', VECTOR_STORE_READER_USER: 'docs_reader', VECTOR_STORE_WRITER_USER: 'docs_writer',
      VECTOR_STORE_DIMENSION: '768', VECTOR_STORE_DISTANCE: 'EUCLIDEAN',
    });
  });
});

describe('When stores use each distance', () => {
  const stack = newStack();
  const vpc = isolatedVpc(stack);
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const cases: Array<[VectorDistance, string]> = [
    [VectorDistance.COSINE, 'vector_cosine_ops'],
    [VectorDistance.EUCLIDEAN, 'vector_l2_ops'],
    [VectorDistance.INNER_PRODUCT, 'vector_ip_ops'],
  ];
  const stores = cases.map(([distance]) => store(stack, { distance, vpc, encryptionKey: key, createVpcEndpoints: false }, distance));
  const t = Template.fromStack(stack);

  test.each(cases)('%s maps to the operator class %s', (distance, operatorClass) => {
    const s = stores.find(x => x.distance === distance)!;
    const schemas = Object.values(t.findResources('Custom::LlmOpsPgVectorSchema', { Properties: { ClusterArn: stack.resolve(s.cluster.clusterArn) } }));
    expect(schemas.map(r => r.Properties.OperatorClass)).toEqual([operatorClass]);
  });
});

describe('When store props are invalid', () => {
  const where = "AuroraPgVectorStore at 'TestStack/Store'";
  const identifierAllowed = "is not an identifier this library accepts; allowed: 1-63 lower-case letters, digits and '_', not starting with a digit";
  const identifierCases = (['databaseName', 'schemaName', 'tableName'] as const).flatMap(prop => ([
    [`${prop} with upper case`, { [prop]: 'Chunks' }, 'LLMOPS_PG_IDENTIFIER', `${prop} 'Chunks' ${identifierAllowed}`],
    [`${prop} with an SQL injection attempt`, { [prop]: 'x; DROP TABLE users; --' }, 'LLMOPS_PG_IDENTIFIER', `${prop} 'x; DROP TABLE users; --' ${identifierAllowed}`],
    [`${prop} starting with a digit`, { [prop]: '1chunks' }, 'LLMOPS_PG_IDENTIFIER', `${prop} '1chunks' ${identifierAllowed}`],
  ] as Array<[string, Partial<AuroraPgVectorStoreProps>, string, string]>));
  const cases: Array<[string, Partial<AuroraPgVectorStoreProps>, string, string]> = [
    ['a dimension of 0', { dimension: 0 }, 'LLMOPS_VECTOR_DIMENSION',
      'dimension 0 is out of range; allowed: an integer from 1 to 2000 (a pgvector HNSW index of type vector supports at most 2000 dimensions)'],
    ['a dimension of 2001', { dimension: 2001 }, 'LLMOPS_VECTOR_DIMENSION', 'dimension 2001 is out of range; allowed: an integer from 1 to 2000'],
    ...identifierCases,
    ['a table name of 49 characters', { tableName: 'a'.repeat(49) }, 'LLMOPS_PG_IDENTIFIER',
      `tableName '${'a'.repeat(49)}' is too long: the index name <table>_embedding_hnsw must fit in 63 characters (use at most 48)`],
    ['hnsw.m of 1', { hnsw: { m: 1 } }, 'LLMOPS_HNSW_RANGE', 'hnsw.m 1 is out of range; allowed: an integer from 2 to 100'],
    ['hnsw.m of 101', { hnsw: { m: 101, efConstruction: 500 } }, 'LLMOPS_HNSW_RANGE', 'hnsw.m 101 is out of range; allowed: an integer from 2 to 100'],
    ['efConstruction below 2·m', { hnsw: { m: 16, efConstruction: 31 } }, 'LLMOPS_HNSW_RANGE',
      'hnsw.efConstruction 31 is out of range; allowed: an integer from 32 to 1000 (pgvector needs at least 2 × m)'],
    ['efConstruction above 1000', { hnsw: { efConstruction: 1001 } }, 'LLMOPS_HNSW_RANGE', 'hnsw.efConstruction 1001 is out of range'],
    ['a minimum capacity of -1', { minCapacity: -1 }, 'LLMOPS_AURORA_CAPACITY', 'minCapacity -1 is out of range; allowed: a number from 0 to 256 ACU'],
    ['a maximum capacity of 0.5', { maxCapacity: 0.5 }, 'LLMOPS_AURORA_CAPACITY', 'maxCapacity 0.5 is out of range; allowed: a number from 1 to 256 ACU'],
    ['a maximum capacity of 257', { maxCapacity: 257 }, 'LLMOPS_AURORA_CAPACITY', 'maxCapacity 257 is out of range; allowed: a number from 1 to 256 ACU'],
    ['a maximum capacity of 2.3', { maxCapacity: 2.3 }, 'LLMOPS_AURORA_CAPACITY', 'maxCapacity 2.3 is not a multiple of 0.5 ACU, which Aurora Serverless v2 requires'],
    ['a minimum capacity of 0.7', { minCapacity: 0.7 }, 'LLMOPS_AURORA_CAPACITY', 'minCapacity 0.7 is not a multiple of 0.5 ACU'],
    ['a minimum above the maximum', { minCapacity: 8, maxCapacity: 4 }, 'LLMOPS_AURORA_CAPACITY',
      'minCapacity 8 is greater than maxCapacity (4); allowed: minCapacity ≤ maxCapacity'],
    ['a backup retention of 36 days', { backupRetention: Duration.days(36) }, 'LLMOPS_BACKUP_RETENTION',
      'backupRetention 36 is out of range; allowed: an integer from 1 to 35 days'],
  ];

  test.each(cases)('%s fails with a message naming the path, prop, value and what is allowed', (_name, extra, code, message) => {
    const e = validationError(() => store(newStack(), extra));
    expect(e.codes).toEqual([code]);
    expect(e.message).toContain(where);
    expect(e.message).toContain(message);
  });

  test('every problem is reported at once', () => {
    const e = validationError(() => store(newStack(), { dimension: 4096, tableName: 'Chunks', minCapacity: 8, maxCapacity: 4 }));
    expect(e.codes).toEqual(['LLMOPS_VECTOR_DIMENSION', 'LLMOPS_PG_IDENTIFIER', 'LLMOPS_AURORA_CAPACITY']);
    expect(e.message).toMatch(/^AuroraPgVectorStore at 'TestStack\/Store' has 3 invalid props:\n {2}- dimension 4096/);
  });

  test('a table name of 48 characters, a dimension of 2000 and the capacity limits 0 and 256 pass', () => {
    expect(() => store(newStack(), { tableName: 'a'.repeat(48), dimension: 2000, minCapacity: 0, maxCapacity: 256 })).not.toThrow();
  });

  test('a dimension given as a token passes unvalidated', () => {
    const stack = newStack();
    const dimension = new CfnParameter(stack, 'Dimension', { type: 'Number' }).valueAsNumber;
    const s = store(stack, { dimension });
    expect(stack.resolve(s.connectionEnvironment().VECTOR_STORE_DIMENSION)).toEqual({ Ref: 'Dimension' });
  });
});
