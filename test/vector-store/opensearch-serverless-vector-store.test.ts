import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  CustomResourceFunction, OpenSearchServerlessVectorStore, OpenSearchServerlessVectorStoreProps, VectorDistance,
} from '../../constructs';
import { newStack, validationError } from '../util';

function store(stack: Stack, props: Partial<OpenSearchServerlessVectorStoreProps> = {}, id = 'Store'): OpenSearchServerlessVectorStore {
  return new OpenSearchServerlessVectorStore(stack, id, { dimension: 1024, ...props });
}

function lambdaRole(stack: Stack, id: string): iam.Role {
  return new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

function indexManager(s: OpenSearchServerlessVectorStore): CustomResourceFunction {
  return s.node.findChild('IndexManager') as CustomResourceFunction;
}

/** A token as it appears inside a parsed policy string: `<LogicalId>` for a Ref, `<LogicalId.Attr>` for a GetAtt. */
function tokenText(resolved: any): string {
  if (typeof resolved === 'string') return resolved;
  if (resolved.Ref) return `<${resolved.Ref}>`;
  if (resolved['Fn::GetAtt']) return `<${resolved['Fn::GetAtt'].join('.')}>`;
  throw new Error(`unexpected token in policy: ${JSON.stringify(resolved)}`);
}

/** Parses a policy string as synthesized (a plain string or an Fn::Join of JSON text and tokens). */
function parsePolicy(policy: any): any {
  if (typeof policy === 'string') return JSON.parse(policy);
  const [separator, parts] = policy['Fn::Join'];
  return JSON.parse((parts as unknown[]).map(tokenText).join(separator));
}

function policyOfType(t: Template, type: string): any {
  const policies = Object.values(t.findResources('AWS::OpenSearchServerless::SecurityPolicy', { Properties: { Type: type } }));
  expect(policies).toHaveLength(1);
  return parsePolicy(policies[0].Properties.Policy);
}

function logicalId(stack: Stack, resolved: any): string {
  return tokenText(stack.resolve(resolved)).replace(/^<|(\.[A-Za-z]+)?>$/g, '');
}

describe('When a store is created with only a dimension and principals are granted', () => {
  const stack = newStack();
  const s = store(stack);
  const reader = lambdaRole(stack, 'Reader');
  const writer = lambdaRole(stack, 'Writer');
  const bystander = lambdaRole(stack, 'Bystander');
  const importedWriter = iam.Role.fromRoleArn(stack, 'Ingest', 'arn:aws:iam::123456789012:role/ingest', { mutable: false });
  s.grantRead(reader);
  s.grantWrite(writer);
  s.grantWrite(importedWriter);
  const t = Template.fromStack(stack);
  const keyArn = tokenText(stack.resolve(s.foundation!.encryptionKey.keyArn));
  const managerRoleArn = tokenText(stack.resolve(indexManager(s).role.roleArn));
  const collectionId = logicalId(stack, s.cfnCollection.attrArn);

  test('the collection gets a name derived from its path that the service accepts', () => {
    expect(s.collectionName).toMatch(/^teststack-store-[0-9a-f]{8}$/);
    expect(s.indexName).toBe('rag-chunks');
  });

  test('the encryption policy uses the customer key, never the AWS-owned key, for exactly this collection', () => {
    t.hasResourceProperties('AWS::OpenSearchServerless::SecurityPolicy', { Type: 'encryption', Name: s.collectionName });
    expect(policyOfType(t, 'encryption')).toEqual({
      Rules: [{ ResourceType: 'collection', Resource: [`collection/${s.collectionName}`] }],
      AWSOwnedKey: false,
      KmsARN: keyArn,
    });
    expect(keyArn).toMatch(/^<StoreFoundationKey[0-9A-F]{8}\.Arn>$/);
  });

  test('the network policy admits no public access, only the VPC endpoint', () => {
    const endpoints = t.findResources('AWS::OpenSearchServerless::VpcEndpoint');
    const [endpointId] = Object.keys(endpoints);
    expect(Object.keys(endpoints)).toHaveLength(1);
    expect(policyOfType(t, 'network')).toEqual([{
      Rules: [{ ResourceType: 'collection', Resource: [`collection/${s.collectionName}`] }],
      AllowFromPublic: false,
      SourceVPCEs: [`<${endpointId}.Id>`],
    }]);
  });

  test("the VPC endpoint sits in the VPC's private subnets behind the endpoint security group", () => {
    const vpc = s.foundation!.vpc;
    expect(vpc.isolatedSubnets.length).toBeGreaterThan(0);
    t.hasResourceProperties('AWS::OpenSearchServerless::VpcEndpoint', {
      Name: s.collectionName,
      VpcId: stack.resolve(vpc.vpcId),
      SubnetIds: stack.resolve(vpc.isolatedSubnets.map(x => x.subnetId)),
      SecurityGroupIds: [stack.resolve(s.connections.securityGroups[0].securityGroupId)],
    });
  });

  test('the endpoint security group admits HTTPS from the index manager only and sends nothing out', () => {
    const endpointSg = stack.resolve(s.connections.securityGroups[0].securityGroupId);
    const managerSg = stack.resolve(indexManager(s).securityGroup.securityGroupId);
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress', { Properties: { GroupId: endpointSg } }));
    expect(ingress.map(r => r.Properties)).toEqual([
      { Description: 'Index manager', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', GroupId: endpointSg, SourceSecurityGroupId: managerSg },
    ]);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^VPC endpoint of the OpenSearch Serverless collection'),
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
  });

  test('the collection is a VECTORSEARCH collection with standby replicas, created after both policies and retained', () => {
    t.hasResource('AWS::OpenSearchServerless::Collection', {
      Properties: { Name: s.collectionName, Type: 'VECTORSEARCH', StandbyReplicas: 'ENABLED' },
      DependsOn: Match.arrayWith([
        Match.stringLikeRegexp('^StoreEncryptionPolicy'),
        Match.stringLikeRegexp('^StoreNetworkPolicy'),
      ]),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('the data access policy names exactly the index manager and the granted principals, each with its permissions on the index', () => {
    const [access] = Object.values(t.findResources('AWS::OpenSearchServerless::AccessPolicy'));
    expect(access.Properties).toMatchObject({ Type: 'data', Name: s.collectionName });
    const index = `index/${s.collectionName}/rag-chunks`;
    const collectionRule = { ResourceType: 'collection', Resource: [`collection/${s.collectionName}`], Permission: ['aoss:DescribeCollectionItems'] };
    const statement = (description: string, principals: string[], permissions: string[]) => ({
      Description: description,
      Rules: [{ ResourceType: 'index', Resource: [index], Permission: permissions }, collectionRule],
      Principal: principals,
    });
    expect(parsePolicy(access.Properties.Policy)).toEqual([
      statement('index manager', [managerRoleArn], ['aoss:CreateIndex', 'aoss:DeleteIndex', 'aoss:DescribeIndex', 'aoss:UpdateIndex']),
      statement('writers', [tokenText(stack.resolve(writer.roleArn)), 'arn:aws:iam::123456789012:role/ingest'],
        ['aoss:DescribeIndex', 'aoss:ReadDocument', 'aoss:WriteDocument']),
      statement('readers', [tokenText(stack.resolve(reader.roleArn))], ['aoss:DescribeIndex', 'aoss:ReadDocument']),
    ]);
  });

  test('a role that was not granted appears nowhere in the data access policy', () => {
    const [access] = Object.values(t.findResources('AWS::OpenSearchServerless::AccessPolicy'));
    const principals = parsePolicy(access.Properties.Policy).flatMap((x: any) => x.Principal);
    expect(principals).toHaveLength(4);
    expect(principals).not.toContain(tokenText(stack.resolve(bystander.roleArn)));
  });

  test("grantRead and grantWrite add aoss:APIAccessAll on the collection ARN to the grantee's policy", () => {
    for (const grantee of [reader, writer]) {
      t.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(grantee.roleName)],
        PolicyDocument: { Statement: [{ Action: 'aoss:APIAccessAll', Effect: 'Allow', Resource: { 'Fn::GetAtt': [collectionId, 'Arn'] } }] },
      });
    }
    expect(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(bystander.roleName)] } })).toEqual({});
  });

  test('the index resource carries the mapping: dimension, cosine space, HNSW parameters and field names, kept on delete', () => {
    t.hasResource('Custom::LlmOpsOpenSearchIndex', {
      Properties: {
        ServiceToken: stack.resolve(indexManager(s).function.functionArn),
        Endpoint: { 'Fn::GetAtt': [collectionId, 'CollectionEndpoint'] },
        Region: { Ref: 'AWS::Region' },
        IndexName: 'rag-chunks',
        Dimension: '1024',
        SpaceType: 'cosinesimil',
        M: '16',
        EfConstruction: '128',
        VectorField: 'embedding',
        TextField: 'text',
        MetadataField: 'metadata',
        RetainOnDelete: 'true',
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('the index is created only after the data access policy, the network policy, the collection and the VPC endpoint', () => {
    const [index] = Object.values(t.findResources('Custom::LlmOpsOpenSearchIndex'));
    expect(index.DependsOn).toEqual(expect.arrayContaining([
      logicalId(stack, s.cfnCollection.attrArn),
      logicalId(stack, s.vpcEndpoint!.attrId),
      expect.stringMatching(/^StoreDataAccessPolicy/),
      expect.stringMatching(/^StoreNetworkPolicy/),
    ]));
  });

  test('the index manager is a Node.js 24 Lambda in the private subnets, without a concurrency reservation, with a KMS-encrypted log group', () => {
    const vpc = s.foundation!.vpc;
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('k-NN index of TestStack/Store'),
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      ReservedConcurrentExecutions: Match.absent(),
      KmsKeyArn: stack.resolve(s.foundation!.encryptionKey.keyArn),
      VpcConfig: {
        SubnetIds: stack.resolve(vpc.isolatedSubnets.map(x => x.subnetId)),
        SecurityGroupIds: [stack.resolve(indexManager(s).securityGroup.securityGroupId)],
      },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^StoreIndexManagerLogGroup') } },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/lambda/TestStack-Store-IndexManager-'),
      KmsKeyId: stack.resolve(s.foundation!.encryptionKey.keyArn),
      RetentionInDays: 365,
    });
  });

  test('the index manager role has no AWS managed policy, and may call the collection API on this collection only', () => {
    const role = t.findResources('AWS::IAM::Role')[logicalId(stack, indexManager(s).role.roleArn)];
    expect(role.Properties.ManagedPolicyArns).toEqual([
      { Ref: expect.stringMatching(/^StoreIndexManagerRoleGrants/) },
      { Ref: expect.stringMatching(/^StoreIndexManagerRoleUnscopedGrants/) },
    ]);
    expect(JSON.stringify(role)).not.toContain(':iam::aws:policy');
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: Match.stringLikeRegexp('^Least-privilege grants of TestStack/Store/IndexManager/Role'),
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'aoss:APIAccessAll', Effect: 'Allow', Resource: { 'Fn::GetAtt': [collectionId, 'Arn'] } }]) },
    });
  });

  test('connectionEnvironment gives the endpoint, index, field names, dimension and distance', () => {
    expect(stack.resolve(s.connectionEnvironment())).toEqual({
      VECTOR_STORE_KIND: 'opensearch-serverless',
      VECTOR_STORE_ENDPOINT: { 'Fn::GetAtt': [collectionId, 'CollectionEndpoint'] },
      VECTOR_STORE_INDEX: 'rag-chunks',
      VECTOR_STORE_VECTOR_FIELD: 'embedding',
      VECTOR_STORE_TEXT_FIELD: 'text',
      VECTOR_STORE_METADATA_FIELD: 'metadata',
      VECTOR_STORE_DIMENSION: '1024',
      VECTOR_STORE_DISTANCE: 'COSINE',
    });
  });

  test('metrics read AWS/AOSS with the account, collection ID and collection name; search latency is an average (in milliseconds, unfiltered by unit)', () => {
    const latency = s.metricSearchLatency();
    expect(latency.namespace).toBe('AWS/AOSS');
    expect(latency.metricName).toBe('SearchRequestLatency');
    expect(latency.statistic).toBe('Average');
    // No unit filter: AOSS does not document the published unit, and a mismatch would starve alarms of data.
    expect(latency.unit).toBeUndefined();
    expect(latency.period.toMinutes()).toBe(1);
    expect(stack.resolve(latency.dimensions)).toEqual({
      ClientId: { Ref: 'AWS::AccountId' },
      CollectionId: { 'Fn::GetAtt': [collectionId, 'Id'] },
      CollectionName: s.collectionName,
    });
  });

  test('error and document metrics are sums; the caller can override options', () => {
    expect(s.metricSearchErrors().metricName).toBe('SearchRequestErrors');
    expect(s.metricIngestionErrors().metricName).toBe('IngestionRequestErrors');
    expect(s.metric5xxErrors().metricName).toBe('5xx');
    for (const m of [s.metricSearchErrors(), s.metricIngestionErrors(), s.metric5xxErrors(), s.metricSearchableDocuments()]) {
      expect(m.statistic).toBe('Sum');
      expect(m.namespace).toBe('AWS/AOSS');
    }
    expect(s.metricSearchableDocuments().period.toMinutes()).toBe(5);
    const custom = s.metric('SearchRequestRate', { statistic: 'Maximum', period: Duration.minutes(5) });
    expect(custom.statistic).toBe('Maximum');
    expect(custom.period.toMinutes()).toBe(5);
    expect(custom.dimensions?.CollectionName).toBe(s.collectionName);
  });
});

describe('When a dev store is created with its own names, parameters, VPC and key, no standby replicas and DESTROY', () => {
  const stack = newStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const s = store(stack, {
    dimension: 384,
    distance: VectorDistance.EUCLIDEAN,
    collectionName: 'dev-vectors',
    indexName: 'docs.v1',
    hnsw: { m: 32, efConstruction: 256 },
    fields: { vector: 'vec', text: 'body', metadata: 'meta_data' },
    standbyReplicas: false,
    removalPolicy: RemovalPolicy.DESTROY,
    vpc,
    encryptionKey: key,
  });
  const t = Template.fromStack(stack);

  test('it uses the given VPC and key and creates no foundation of its own', () => {
    expect(s.foundation).toBeUndefined();
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.resourceCountIs('AWS::KMS::Key', 1);
    expect(policyOfType(t, 'encryption').KmsARN).toBe(tokenText(stack.resolve(key.keyArn)));
    t.hasResourceProperties('AWS::OpenSearchServerless::VpcEndpoint', {
      VpcId: stack.resolve(vpc.vpcId),
      SubnetIds: stack.resolve(vpc.isolatedSubnets.map(x => x.subnetId)),
    });
  });

  test('the collection and every policy carry the given name', () => {
    for (const type of ['AWS::OpenSearchServerless::Collection', 'AWS::OpenSearchServerless::SecurityPolicy', 'AWS::OpenSearchServerless::AccessPolicy', 'AWS::OpenSearchServerless::VpcEndpoint']) {
      const names = Object.values(t.findResources(type)).map(r => r.Properties.Name);
      expect(names.length).toBeGreaterThan(0);
      expect(new Set(names)).toEqual(new Set(['dev-vectors']));
    }
  });

  test('standby replicas are off', () => {
    t.hasResourceProperties('AWS::OpenSearchServerless::Collection', { StandbyReplicas: 'DISABLED' });
  });

  test('the collection and the index are deleted with the stack', () => {
    t.hasResource('AWS::OpenSearchServerless::Collection', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    t.hasResource('Custom::LlmOpsOpenSearchIndex', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ RetainOnDelete: 'false' }) });
  });

  test('the index resource carries the L2 space, the HNSW parameters and the field names given', () => {
    t.hasResourceProperties('Custom::LlmOpsOpenSearchIndex', {
      IndexName: 'docs.v1', Dimension: '384', SpaceType: 'l2', M: '32', EfConstruction: '256', VectorField: 'vec', TextField: 'body', MetadataField: 'meta_data',
    });
  });

  test('the data access policy covers the given index only', () => {
    const [access] = Object.values(t.findResources('AWS::OpenSearchServerless::AccessPolicy'));
    const resources = parsePolicy(access.Properties.Policy).flatMap((x: any) => x.Rules.flatMap((r: any) => r.Resource));
    expect(resources).toEqual(['index/dev-vectors/docs.v1', 'collection/dev-vectors']);
  });

  test('connectionEnvironment names the given index, fields and distance', () => {
    expect(s.connectionEnvironment()).toMatchObject({
      VECTOR_STORE_INDEX: 'docs.v1', VECTOR_STORE_VECTOR_FIELD: 'vec', VECTOR_STORE_TEXT_FIELD: 'body', VECTOR_STORE_METADATA_FIELD: 'meta_data',
      VECTOR_STORE_DIMENSION: '384', VECTOR_STORE_DISTANCE: 'EUCLIDEAN',
    });
  });
});

describe('When stores use each distance', () => {
  const stack = newStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const cases: Array<[VectorDistance, string]> = [
    [VectorDistance.COSINE, 'cosinesimil'],
    [VectorDistance.EUCLIDEAN, 'l2'],
    [VectorDistance.INNER_PRODUCT, 'innerproduct'],
  ];
  const stores = cases.map(([distance]) => store(stack, { distance, vpc, encryptionKey: key, collectionName: `store-${distance.toLowerCase().replace('_', '-')}` }, distance));
  const t = Template.fromStack(stack);

  test.each(cases)('%s maps to the k-NN space type %s', (distance, spaceType) => {
    const s = stores.find(x => x.distance === distance)!;
    const indexes = Object.values(t.findResources('Custom::LlmOpsOpenSearchIndex'))
      .filter(r => JSON.stringify(r.Properties.Endpoint).includes(logicalId(stack, s.cfnCollection.attrArn)));
    expect(indexes.map(r => r.Properties.SpaceType)).toEqual([spaceType]);
  });
});

describe('When public access is chosen explicitly', () => {
  const stack = newStack();
  const s = store(stack, { allowPublicAccess: true });
  const t = Template.fromStack(stack);

  test('there is no VPC endpoint and the network policy allows public access to the collection', () => {
    expect(s.vpcEndpoint).toBeUndefined();
    t.resourceCountIs('AWS::OpenSearchServerless::VpcEndpoint', 0);
    expect(policyOfType(t, 'network')).toEqual([{
      Rules: [{ ResourceType: 'collection', Resource: [`collection/${s.collectionName}`] }],
      AllowFromPublic: true,
    }]);
  });

  test('the encryption policy still uses the customer key', () => {
    expect(policyOfType(t, 'encryption')).toMatchObject({ AWSOwnedKey: false, KmsARN: tokenText(stack.resolve(s.foundation!.encryptionKey.keyArn)) });
  });

  test('the index still waits for the data access policy, the network policy and the collection', () => {
    const [index] = Object.values(t.findResources('Custom::LlmOpsOpenSearchIndex'));
    expect(index.DependsOn).toEqual(expect.arrayContaining([
      logicalId(stack, s.cfnCollection.attrArn), expect.stringMatching(/^StoreDataAccessPolicy/), expect.stringMatching(/^StoreNetworkPolicy/),
    ]));
  });

  // With no VPC endpoint, the index manager reaches the collection at its public endpoint; a function in subnets
  // without a route to the internet cannot, and the index would never be created.
  test('the index manager can reach the public collection endpoint: it runs outside a VPC or in subnets with an internet route', () => {
    const fn = t.findResources('AWS::Lambda::Function')[logicalId(stack, indexManager(s).function.functionArn)];
    const subnetIds: Array<{ Ref: string }> = fn.Properties.VpcConfig?.SubnetIds ?? [];
    const routes = Object.values(t.findResources('AWS::EC2::Route', { Properties: { DestinationCidrBlock: '0.0.0.0/0' } }));
    const associations = Object.values(t.findResources('AWS::EC2::SubnetRouteTableAssociation'));
    for (const subnet of subnetIds) {
      const tables = associations.filter(a => a.Properties.SubnetId.Ref === subnet.Ref).map(a => a.Properties.RouteTableId.Ref);
      const routed = routes.some(r => tables.includes(r.Properties.RouteTableId.Ref));
      expect({ subnet: subnet.Ref, routed }).toEqual({ subnet: subnet.Ref, routed: true });
    }
  });
});

describe('When store props are invalid', () => {
  const where = "OpenSearchServerlessVectorStore at 'TestStack/Store'";
  const cases: Array<[string, Partial<OpenSearchServerlessVectorStoreProps> | ((s: Stack) => Partial<OpenSearchServerlessVectorStoreProps>), string, string]> = [
    ['a dimension of 0', { dimension: 0 }, 'LLMOPS_VECTOR_DIMENSION', 'dimension 0 is out of range; allowed: an integer from 1 to 16000'],
    ['a dimension of 16001', { dimension: 16001 }, 'LLMOPS_VECTOR_DIMENSION', 'dimension 16001 is out of range; allowed: an integer from 1 to 16000'],
    ['a fractional dimension', { dimension: 1.5 }, 'LLMOPS_VECTOR_DIMENSION', 'dimension 1.5 is out of range'],
    ['a collection name with upper case', { collectionName: 'RagStore' }, 'LLMOPS_COLLECTION_NAME',
      "collectionName 'RagStore' is not an OpenSearch Serverless collection name; allowed: 3-32 lower-case letters, digits and hyphens, starting with a letter"],
    ['a collection name of 33 characters', { collectionName: 'a'.repeat(33) }, 'LLMOPS_COLLECTION_NAME', `collectionName '${'a'.repeat(33)}' is not an OpenSearch Serverless collection name`],
    ['a collection name of 2 characters', { collectionName: 'ab' }, 'LLMOPS_COLLECTION_NAME', "collectionName 'ab' is not an OpenSearch Serverless collection name"],
    ['a collection name starting with a digit', { collectionName: '1rag' }, 'LLMOPS_COLLECTION_NAME', "collectionName '1rag' is not an OpenSearch Serverless collection name"],
    ['an index name with upper case', { indexName: 'Chunks' }, 'LLMOPS_INDEX_NAME',
      "indexName 'Chunks' is not an OpenSearch index name; allowed: 1-255 lower-case letters, digits, '_', '-', '+' and '.', not starting with '_', '-' or '+'"],
    ["an index name starting with '_'", { indexName: '_chunks' }, 'LLMOPS_INDEX_NAME', "indexName '_chunks' is not an OpenSearch index name"],
    ['an index name with a space', { indexName: 'rag chunks' }, 'LLMOPS_INDEX_NAME', "indexName 'rag chunks' is not an OpenSearch index name"],
    ['hnsw.m of 1', { hnsw: { m: 1 } }, 'LLMOPS_HNSW_RANGE', 'hnsw.m 1 is out of range; allowed: an integer from 2 to 100'],
    ['hnsw.m of 101', { hnsw: { m: 101 } }, 'LLMOPS_HNSW_RANGE', 'hnsw.m 101 is out of range; allowed: an integer from 2 to 100'],
    ['hnsw.efConstruction of 1', { hnsw: { efConstruction: 1 } }, 'LLMOPS_HNSW_RANGE', 'hnsw.efConstruction 1 is out of range; allowed: an integer from 2 to 4096'],
    ['hnsw.efConstruction of 4097', { hnsw: { efConstruction: 4097 } }, 'LLMOPS_HNSW_RANGE', 'hnsw.efConstruction 4097 is out of range'],
    ['the same name for two fields', { fields: { vector: 'text' } }, 'LLMOPS_FIELD_NAME',
      'fields {"vector":"text","text":"text","metadata":"metadata"} must name three different fields'],
    ['a field name starting with a digit', { fields: { vector: '1vec' } }, 'LLMOPS_FIELD_NAME',
      "fields.vector '1vec' is not a field name; allowed: a letter, then up to 63 letters, digits and _"],
    ['a field name with a dot', { fields: { metadata: 'meta.data' } }, 'LLMOPS_FIELD_NAME', "fields.metadata 'meta.data' is not a field name"],
    ['public access with a VPC', (s: Stack) => ({ allowPublicAccess: true, vpc: new ec2.Vpc(s, 'Vpc') }), 'LLMOPS_PUBLIC_WITH_VPC',
      "vpc 'TestStack/Vpc' cannot be combined with allowPublicAccess: true; the collection is either reachable only through a VPC endpoint or from the internet"],
    ['public access with subnets', { allowPublicAccess: true, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }, 'LLMOPS_PUBLIC_WITH_VPC',
      'vpcSubnets {"subnetType":"Isolated"} cannot be combined with allowPublicAccess: true'],
  ];

  test.each(cases)('%s fails with a message naming the path, prop, value and what is allowed', (_name, extra, code, message) => {
    const stack = newStack();
    const e = validationError(() => store(stack, typeof extra === 'function' ? extra(stack) : extra));
    expect(e.codes).toEqual([code]);
    expect(e.message).toContain(where);
    expect(e.message).toContain(message);
  });

  test('every problem is reported at once', () => {
    const e = validationError(() => store(newStack(), { dimension: 0, collectionName: 'Bad', hnsw: { m: 1 } }));
    expect(e.codes).toEqual(['LLMOPS_VECTOR_DIMENSION', 'LLMOPS_COLLECTION_NAME', 'LLMOPS_HNSW_RANGE']);
    expect(e.message).toMatch(/^OpenSearchServerlessVectorStore at 'TestStack\/Store' has 3 invalid props:\n {2}- dimension 0/);
  });

  test('granting to a service principal fails: a data access policy can only name IAM principals', () => {
    const stack = newStack();
    const s = store(stack);
    for (const grant of [(g: iam.IGrantable) => s.grantRead(g), (g: iam.IGrantable) => s.grantWrite(g)]) {
      const e = validationError(() => grant(new iam.ServicePrincipal('lambda.amazonaws.com')));
      expect(e.codes).toEqual(['LLMOPS_AOSS_PRINCIPAL']);
      expect(e.message).toContain(where);
      expect(e.message).toContain('is not an IAM role or user; a data access policy can only name IAM principals');
    }
    const [access] = Object.values(Template.fromStack(stack).findResources('AWS::OpenSearchServerless::AccessPolicy'));
    expect(parsePolicy(access.Properties.Policy).map((x: any) => x.Description)).toEqual(['index manager']);
  });

  test('a dimension given as a token passes unvalidated', () => {
    const stack = newStack();
    const dimension = new CfnParameter(stack, 'Dimension', { type: 'Number' }).valueAsNumber;
    const s = store(stack, { dimension });
    expect(stack.resolve(s.connectionEnvironment().VECTOR_STORE_DIMENSION)).toEqual({ Ref: 'Dimension' });
  });
});
