import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { customerKeyProps, defaultInterfaceEndpoints, LlmOpsFoundation, secureBucketProps, VPC_CIDR } from '../../constructs';
import { newStack, validationError } from '../util';

/** The logical ID of an L2 construct's CloudFormation resource. */
function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The properties CloudFormation gets for a subnet of the given aws-cdk subnet type tag. */
function subnetsOfType(template: Template, type: 'Isolated' | 'Private' | 'Public'): Record<string, any> {
  return template.findResources('AWS::EC2::Subnet', {
    Properties: { Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: type }]) },
  });
}

const DEFAULT_ENDPOINT_SUFFIXES = ['.ecr.api', '.ecr.dkr', '.logs', '.monitoring', '.sts', '.sagemaker.runtime'];

function regionalServiceName(suffix: string): unknown {
  return { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, suffix]] };
}

describe('When an LlmOpsFoundation is created with default props and both buckets are used', () => {
  let stack: Stack;
  let foundation: LlmOpsFoundation;
  let template: Template;
  let keyId: string;
  let accessLogsId: string;
  let artifactsId: string;
  let dataCaptureId: string;

  beforeAll(() => {
    stack = newStack();
    foundation = new LlmOpsFoundation(stack, 'Foundation');
    artifactsId = logicalId(stack, foundation.artifactsBucket);
    dataCaptureId = logicalId(stack, foundation.dataCaptureBucket);
    accessLogsId = logicalId(stack, foundation.accessLogsBucket);
    keyId = logicalId(stack, foundation.encryptionKey);
    template = Template.fromStack(stack);
  });

  test('one customer managed KMS key is created, with automatic rotation', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    expect(foundation.encryptionKey).toBeInstanceOf(kms.Key);
  });

  test('the VPC has only isolated subnets, no internet gateway and no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: VPC_CIDR });
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    expect(Object.keys(subnetsOfType(template, 'Isolated'))).toHaveLength(2);
    expect(subnetsOfType(template, 'Public')).toEqual({});
    expect(subnetsOfType(template, 'Private')).toEqual({});
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Route', 0);
  });

  test('the VPC has an S3 gateway endpoint on the isolated route tables', () => {
    const routeTables = stack.resolve(foundation.vpc.isolatedSubnets.map(s => s.routeTable.routeTableId));
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: regionalServiceName('.s3'),
      RouteTableIds: routeTables,
    });
  });

  test('the VPC has exactly the default interface endpoints (ECR API, ECR Docker, Logs, Monitoring, STS, SageMaker Runtime)', () => {
    const interfaces = template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } });
    const names = Object.values(interfaces).map(r => JSON.stringify(r.Properties.ServiceName));
    expect(names.sort()).toEqual(DEFAULT_ENDPOINT_SUFFIXES.map(s => JSON.stringify(regionalServiceName(s))).sort());
    template.resourceCountIs('AWS::EC2::VPCEndpoint', DEFAULT_ENDPOINT_SUFFIXES.length + 1);
  });

  test('every interface endpoint sits in the isolated subnets with private DNS and the one shared security group', () => {
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    const [sgId] = Object.keys(template.findResources('AWS::EC2::SecurityGroup'));
    const subnetIds = stack.resolve(foundation.vpc.isolatedSubnets.map(s => s.subnetId));
    const interfaces = template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } });
    expect(Object.keys(interfaces)).toHaveLength(6);
    for (const endpoint of Object.values(interfaces)) {
      expect(endpoint.Properties.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [sgId, 'GroupId'] }]);
      expect(endpoint.Properties.SubnetIds).toEqual(subnetIds);
      expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
    }
  });

  test('the endpoints security group allows only tcp/443 from 10.0.0.0/16 in, and nothing out', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [{ CidrIp: '10.0.0.0/16', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('a flow log of all VPC traffic goes to the access-logs bucket in S3', () => {
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      ResourceId: stack.resolve(foundation.vpc.vpcId),
      TrafficType: 'ALL',
      LogDestinationType: 's3',
      LogDestination: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [accessLogsId, 'Arn'] }, '/vpc-flow-logs/']] },
    });
  });

  test('the artifacts, data capture and access-logs buckets are the three buckets of the stack', () => {
    template.resourceCountIs('AWS::S3::Bucket', 3);
    expect(new Set([artifactsId, dataCaptureId, accessLogsId]).size).toBe(3);
  });

  test.each([
    ['artifacts', () => artifactsId, 'artifacts/'],
    ['data capture', () => dataCaptureId, 'data-capture/'],
  ])('the %s bucket is encrypted with the key (aws:kms), versioned, private and logs to the access-logs bucket', (_name, id, prefix) => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } },
          }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: { DestinationBucketName: { Ref: accessLogsId }, LogFilePrefix: prefix },
      },
    });
    expect(template.findResources('AWS::S3::Bucket')[id()].Properties.LoggingConfiguration.LogFilePrefix).toBe(prefix);
  });

  test.each([
    ['artifacts', () => artifactsId],
    ['data capture', () => dataCaptureId],
    ['access-logs', () => accessLogsId],
  ])('the %s bucket policy denies every request without TLS', (_name, id) => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id() },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny',
          Action: 's3:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    });
  });

  test('the access-logs bucket uses SSE-S3 (AES256), is versioned, private and does not log to itself', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[accessLogsId];
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual(
      { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.Properties.LoggingConfiguration).toBeUndefined();
  });

  test('the access-logs bucket takes server access logs through its bucket policy, not an ACL', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[accessLogsId];
    expect(bucket.Properties.AccessControl).toBeUndefined();
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: accessLogsId },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Action: 's3:PutObject',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [artifactsId, 'Arn'] } } }),
        })]),
      },
    });
  });

  test('the key and every bucket are retained when they leave the stack', () => {
    const retained = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };
    for (const type of ['AWS::KMS::Key', 'AWS::S3::Bucket']) {
      const resources = Object.values(template.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) expect(r).toMatchObject(retained);
    }
    expect(foundation.removalPolicy).toBe(RemovalPolicy.RETAIN);
  });

  test('reading a bucket twice returns the same bucket', () => {
    expect(foundation.artifactsBucket).toBe(foundation.artifactsBucket);
    expect(foundation.dataCaptureBucket).toBe(foundation.dataCaptureBucket);
    expect(foundation.artifactsBucket).not.toBe(foundation.dataCaptureBucket);
  });

  test('privateSubnets() selects the isolated subnets, and privateSubnets(true) the subnets with egress', () => {
    expect(foundation.privateSubnets()).toEqual({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
    expect(foundation.privateSubnets(true)).toEqual({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    expect(foundation.vpc.selectSubnets(foundation.privateSubnets()).subnetIds).toEqual(foundation.vpc.isolatedSubnets.map(s => s.subnetId));
  });
});

describe('When an LlmOpsFoundation is created and its buckets are never used', () => {
  let stack: Stack;
  let foundation: LlmOpsFoundation;
  let template: Template;

  beforeAll(() => {
    stack = newStack();
    foundation = new LlmOpsFoundation(stack, 'Foundation');
    template = Template.fromStack(stack);
  });

  test('only the access-logs bucket that the flow log needs is created (SSE-S3)', () => {
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      LogDestination: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack, foundation.accessLogsBucket), 'Arn'] }, '/vpc-flow-logs/']] },
    });
  });

  test('no bucket logs to the access-logs bucket, so no KMS-encrypted bucket exists', () => {
    const kmsBuckets = template.findResources('AWS::S3::Bucket', {
      Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] } },
    });
    expect(kmsBuckets).toEqual({});
    expect(Object.values(template.findResources('AWS::S3::Bucket')).every(b => b.Properties.LoggingConfiguration === undefined)).toBe(true);
  });
});

describe('When an LlmOpsFoundation is created with removalPolicy DESTROY', () => {
  let template: Template;

  beforeAll(() => {
    const stack = newStack();
    const foundation = new LlmOpsFoundation(stack, 'Foundation', { removalPolicy: RemovalPolicy.DESTROY });
    void foundation.artifactsBucket;
    void foundation.dataCaptureBucket;
    template = Template.fromStack(stack);
  });

  test('the key and all three buckets are deleted when they leave the stack', () => {
    template.resourceCountIs('AWS::S3::Bucket', 3);
    for (const type of ['AWS::KMS::Key', 'AWS::S3::Bucket']) {
      const resources = Object.values(template.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) expect(r).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    }
  });
});

describe('When an LlmOpsFoundation is created with internetEgress true', () => {
  let stack: Stack;
  let foundation: LlmOpsFoundation;
  let template: Template;

  beforeAll(() => {
    stack = newStack();
    foundation = new LlmOpsFoundation(stack, 'Foundation', { internetEgress: true });
    template = Template.fromStack(stack);
  });

  test('the public subnets assign no public IPs on launch', () => {
    const publicSubnets = Object.values(subnetsOfType(template, 'Public'));
    expect(publicSubnets).toHaveLength(2);
    for (const s of publicSubnets) expect(s.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  test('one NAT gateway in a public subnet serves every private subnet', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::InternetGateway', 1);
    expect(Object.keys(subnetsOfType(template, 'Private'))).toHaveLength(2);
    expect(subnetsOfType(template, 'Isolated')).toEqual({});
    const [natId] = Object.keys(template.findResources('AWS::EC2::NatGateway'));
    const natRoutes = template.findResources('AWS::EC2::Route', { Properties: { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: { Ref: natId } } });
    const privateRouteTables = stack.resolve(foundation.vpc.privateSubnets.map(s => s.routeTable.routeTableId));
    expect(Object.values(natRoutes).map(r => r.Properties.RouteTableId)).toEqual(privateRouteTables);
  });

  test('the interface endpoints sit in the private subnets with egress', () => {
    const subnetIds = stack.resolve(foundation.vpc.privateSubnets.map(s => s.subnetId));
    const interfaces = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
    expect(interfaces).toHaveLength(6);
    for (const endpoint of interfaces) expect(endpoint.Properties.SubnetIds).toEqual(subnetIds);
  });

  test('privateSubnets() selects the private subnets with egress, as the VPC has no isolated ones', () => {
    expect(foundation.privateSubnets()).toEqual({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    expect(foundation.vpc.selectSubnets(foundation.privateSubnets()).subnetIds).toEqual(foundation.vpc.privateSubnets.map(s => s.subnetId));
  });
});

describe('When an LlmOpsFoundation is given a key, a VPC and both buckets', () => {
  let stack: Stack;
  let key: kms.Key;
  let vpc: ec2.Vpc;
  let artifacts: s3.IBucket;
  let dataCapture: s3.Bucket;
  let foundation: LlmOpsFoundation;
  let template: Template;

  beforeAll(() => {
    stack = newStack();
    key = new kms.Key(stack, 'GivenKey', { description: 'given key' });
    vpc = new ec2.Vpc(stack, 'GivenVpc', { maxAzs: 2, natGateways: 1, restrictDefaultSecurityGroup: false });
    artifacts = s3.Bucket.fromBucketName(stack, 'GivenArtifacts', 'given-artifacts-bucket');
    dataCapture = new s3.Bucket(stack, 'GivenDataCapture');
    foundation = new LlmOpsFoundation(stack, 'Foundation', { encryptionKey: key, vpc, artifactsBucket: artifacts, dataCaptureBucket: dataCapture });
    void foundation.artifactsBucket;
    void foundation.dataCaptureBucket;
    template = Template.fromStack(stack);
  });

  test('the foundation exposes the given key, VPC and buckets', () => {
    expect(foundation.encryptionKey).toBe(key);
    expect(foundation.vpc).toBe(vpc);
    expect(foundation.artifactsBucket).toBe(artifacts);
    expect(foundation.dataCaptureBucket).toBe(dataCapture);
  });

  test('no key, VPC, bucket, endpoint or flow log of its own is created', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { Description: 'given key' });
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
    expect(foundation.node.children).toEqual([]);
  });

  test('privateSubnets() selects the given VPC\'s private subnets with egress, as it has no isolated ones', () => {
    expect(foundation.privateSubnets()).toEqual({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    expect(vpc.selectSubnets(foundation.privateSubnets()).subnetIds).toEqual(vpc.privateSubnets.map(s => s.subnetId));
  });
});

describe('When an LlmOpsFoundation is given interfaceEndpoints: []', () => {
  let template: Template;

  beforeAll(() => {
    const stack = newStack();
    new LlmOpsFoundation(stack, 'Foundation', { interfaceEndpoints: [] });
    template = Template.fromStack(stack);
  });

  test('no interface endpoint and no endpoint security group is created', () => {
    expect(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } })).toEqual({});
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  test('the S3 gateway endpoint is still created', () => {
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: regionalServiceName('.s3') });
  });
});

describe('When an LlmOpsFoundation is given interfaceEndpoints with one service', () => {
  let template: Template;

  beforeAll(() => {
    const stack = newStack();
    new LlmOpsFoundation(stack, 'Foundation', { interfaceEndpoints: [ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME] });
    template = Template.fromStack(stack);
  });

  test('only that interface endpoint is created', () => {
    const interfaces = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
    expect(interfaces.map(r => r.Properties.ServiceName)).toEqual([regionalServiceName('.sagemaker.runtime')]);
  });
});

describe('When an LlmOpsFoundation is given bad props', () => {
  test.each([0, 7])('maxAzs %d fails with a message naming the construct path, the prop, the value and the range', maxAzs => {
    const e = validationError(() => new LlmOpsFoundation(newStack(), 'Foundation', { maxAzs }));
    expect(e.codes).toEqual(['LLMOPS_MAX_AZS']);
    expect(e.message).toBe(
      `LlmOpsFoundation at 'TestStack/Foundation': maxAzs ${maxAzs} is out of range; allowed: an integer from 1 to 6 [LLMOPS_MAX_AZS]`);
    expect(e.where).toBe("LlmOpsFoundation at 'TestStack/Foundation'");
  });

  test('a fractional maxAzs fails as not an integer', () => {
    const e = validationError(() => new LlmOpsFoundation(newStack(), 'Foundation', { maxAzs: 1.5 }));
    expect(e.codes).toEqual(['LLMOPS_MAX_AZS']);
    expect(e.message).toContain('maxAzs 1.5 is out of range; allowed: an integer from 1 to 6');
  });

  test('maxAzs 1 is accepted anywhere, and 6 in a stack with a fixed account and region', () => {
    expect(() => new LlmOpsFoundation(newStack(), 'Foundation', { maxAzs: 1 })).not.toThrow();
    const pinned = newStack({ env: { account: '111122223333', region: 'us-east-1' } });
    expect(() => new LlmOpsFoundation(pinned, 'Foundation', { maxAzs: 6 })).not.toThrow();
  });

  test('more than 2 AZs in an environment-agnostic stack fails instead of being clamped to 2', () => {
    const e = validationError(() => new LlmOpsFoundation(newStack(), 'Foundation', { maxAzs: 3 }));
    expect(e.codes).toEqual(['LLMOPS_MAX_AZS_AGNOSTIC']);
    expect(e.message).toBe("LlmOpsFoundation at 'TestStack/Foundation': maxAzs 3 needs a stack with a fixed account and region: "
      + 'an environment-agnostic stack can place subnets in only 2 AZs; set env on the stack, or use maxAzs 2 [LLMOPS_MAX_AZS_AGNOSTIC]');
  });

  test('maxAzs with a given vpc fails with LLMOPS_VPC_OPTION_IGNORED', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'GivenVpc');
    const e = validationError(() => new LlmOpsFoundation(stack, 'Foundation', { vpc, maxAzs: 1 }));
    expect(e.codes).toEqual(['LLMOPS_VPC_OPTION_IGNORED']);
    expect(e.message).toBe(
      "LlmOpsFoundation at 'TestStack/Foundation': maxAzs 1 only shapes a VPC this construct creates; leave it out when you pass vpc [LLMOPS_VPC_OPTION_IGNORED]");
  });

  test('maxAzs, internetEgress and interfaceEndpoints with a given vpc fail together, one problem each', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'GivenVpc');
    const e = validationError(() => new LlmOpsFoundation(stack, 'Foundation', { vpc, maxAzs: 2, internetEgress: false, interfaceEndpoints: [] }));
    expect(e.codes).toEqual(['LLMOPS_VPC_OPTION_IGNORED', 'LLMOPS_VPC_OPTION_IGNORED', 'LLMOPS_VPC_OPTION_IGNORED']);
    expect(e.problems.map(p => `${p.prop} ${p.value}`)).toEqual(['maxAzs 2', 'internetEgress false', 'interfaceEndpoints []']);
    expect(e.message).toBe([
      "LlmOpsFoundation at 'TestStack/Foundation' has 3 invalid props:",
      '  - maxAzs 2 only shapes a VPC this construct creates; leave it out when you pass vpc [LLMOPS_VPC_OPTION_IGNORED]',
      '  - internetEgress false only shapes a VPC this construct creates; leave it out when you pass vpc [LLMOPS_VPC_OPTION_IGNORED]',
      '  - interfaceEndpoints [] only shapes a VPC this construct creates; leave it out when you pass vpc [LLMOPS_VPC_OPTION_IGNORED]',
    ].join('\n'));
  });
});

describe('The secure defaults', () => {
  test('customerKeyProps turns on key rotation and keeps the description and removal policy', () => {
    expect(customerKeyProps('my key', RemovalPolicy.DESTROY)).toEqual({
      description: 'my key', enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY,
    });
  });

  test('secureBucketProps without a key gives a private, TLS-only, versioned SSE-S3 bucket without lifecycle rules', () => {
    const props = secureBucketProps({ removalPolicy: RemovalPolicy.RETAIN });
    expect(props).toMatchObject({
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    expect(props.encryptionKey).toBeUndefined();
    expect(props.bucketKeyEnabled).toBeUndefined();
    expect(props.lifecycleRules).toBeUndefined();
    expect(props.serverAccessLogsBucket).toBeUndefined();
  });

  test('secureBucketProps with a key, a log target and an expiry gives SSE-KMS with a bucket key, access logs and a lifecycle rule', () => {
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const logs = s3.Bucket.fromBucketName(stack, 'Logs', 'access-logs');
    const props = secureBucketProps({
      encryptionKey: key, accessLogsBucket: logs, accessLogsPrefix: 'x/', removalPolicy: RemovalPolicy.DESTROY, noncurrentVersionExpiration: Duration.days(30),
    });
    expect(props).toMatchObject({
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'x/',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    expect(props.lifecycleRules).toHaveLength(1);
    expect(props.lifecycleRules![0].noncurrentVersionExpiration!.toDays()).toBe(30);
    expect(props.lifecycleRules![0].abortIncompleteMultipartUploadAfter!.toDays()).toBe(7);
  });

  test('defaultInterfaceEndpoints lists ECR API, ECR Docker, Logs, Monitoring, STS and SageMaker Runtime', () => {
    expect(defaultInterfaceEndpoints().map(s => s.shortName)).toEqual(['ecr.api', 'ecr.dkr', 'logs', 'monitoring', 'sts', 'sagemaker.runtime']);
  });
});

describe('When the foundation expires captured data', () => {
  const stack = newStack();
  const foundation = new LlmOpsFoundation(stack, 'Foundation', { dataCaptureExpiration: Duration.days(400) });
  void foundation.dataCaptureBucket;
  const t = Template.fromStack(stack);

  test('the capture bucket deletes objects after that many days', () => {
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 400, NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: 'Enabled' })] },
    });
  });

  test('an expiration that is not a whole number of days fails', () => {
    const e = validationError(() => new LlmOpsFoundation(newStack(), 'Foundation', { dataCaptureExpiration: Duration.hours(12) }));
    expect(e.codes).toEqual(['LLMOPS_CAPTURE_EXPIRATION']);
    expect(e.message).toBe("LlmOpsFoundation at 'TestStack/Foundation': dataCaptureExpiration '0.5 days' is not a whole number of days ≥ 1 (S3 lifecycle expirations count days) [LLMOPS_CAPTURE_EXPIRATION]");
  });
});
