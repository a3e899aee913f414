import { RemovalPolicy } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AuroraPgVectorStore, OpenSearchServerlessVectorStore } from '../../constructs';
import { resolveConfig } from '../../lib';
import { newStack, validationError } from '../util';

// How the stores behave across create and delete: what CloudFormation must keep until the handlers have answered.
describe('When an Aurora store is deployed and later deleted', () => {
  const stack = newStack();
  new AuroraPgVectorStore(stack, 'Store', { dimension: 1024, removalPolicy: RemovalPolicy.DESTROY });
  const t = Template.fromStack(stack);
  const [schemaId, schema] = Object.entries(t.findResources('Custom::LlmOpsPgVectorSchema'))[0];

  test('the schema resource depends on the Data API endpoint, its security group and the VPC, so they outlive its Delete', () => {
    const dependsOn: string[] = schema.DependsOn;
    for (const prefix of ['StoreRdsDataEndpoint', 'StoreEndpointSecurityGroup', 'StoreSchemaManagerSecurityGroup', 'StoreFoundationVpcS3']) {
      expect(dependsOn.some(d => d.startsWith(prefix))).toBe(true);
    }
    expect(schemaId).toMatch(/^StoreSchema/);
  });

  test('CloudFormation waits at most 15 minutes for the handler', () => {
    expect(schema.Properties.ServiceTimeout).toBe('900');
  });
});

describe('When an OpenSearch store is retained', () => {
  const stack = newStack();
  new OpenSearchServerlessVectorStore(stack, 'Store', { dimension: 1024 });
  const t = Template.fromStack(stack);

  test('its security policies, data access policy and VPC endpoint are retained with the collection', () => {
    for (const type of ['AWS::OpenSearchServerless::Collection', 'AWS::OpenSearchServerless::SecurityPolicy', 'AWS::OpenSearchServerless::AccessPolicy', 'AWS::OpenSearchServerless::VpcEndpoint']) {
      const resources = Object.values(t.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) expect(r.DeletionPolicy).toBe('Retain');
    }
  });

  test('the index resource depends on the endpoint security group and waits at most 15 minutes', () => {
    const [index] = Object.values(t.findResources('Custom::LlmOpsOpenSearchIndex'));
    expect((index.DependsOn as string[]).some(d => d.startsWith('StoreEndpointSecurityGroup'))).toBe(true);
    expect(index.Properties.ServiceTimeout).toBe('900');
  });
});

describe('When a store is given an imported key', () => {
  const stack = newStack({ env: { account: '111122223333', region: 'eu-west-1' } });
  const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  const vpc = new ec2.Vpc(stack, 'Vpc', { restrictDefaultSecurityGroup: false });
  new AuroraPgVectorStore(stack, 'Store', { dimension: 8, encryptionKey: key, vpc });

  test('synth warns that its policy must let CloudWatch Logs use it', () => {
    Annotations.fromStack(stack).hasWarning('/TestStack/Store', Match.stringLikeRegexp('is imported, so its policy cannot be changed here'));
    Annotations.fromStack(stack).hasWarning('/TestStack/Store/SchemaManager', Match.stringLikeRegexp('/aws/lambda/'));
  });
});

describe('When identifiers break PostgreSQL or RDS rules', () => {
  test.each([
    ['databaseName', { databaseName: '_rag' }, "databaseName '_rag' must start with a letter (an RDS DatabaseName rule)"],
    ['schemaName', { schemaName: 'pg_rag' }, "schemaName 'pg_rag' must not start with 'pg_', which PostgreSQL reserves for system objects"],
    ['tableName', { tableName: 'pg_chunks' }, "tableName 'pg_chunks' must not start with 'pg_'"],
  ])('a %s the service would reject fails at synth', (_prop, extra, message) => {
    const e = validationError(() => new AuroraPgVectorStore(newStack(), 'Store', { dimension: 8, ...extra }));
    expect(e.codes).toEqual(['LLMOPS_PG_IDENTIFIER']);
    expect(e.message).toContain(message);
  });

  test('a config whose store has no dimension fails instead of synthesizing "undefined"', () => {
    const e = validationError(() => resolveConfig('dev', { vectorStore: { kind: 'opensearch-serverless', distance: 'cosine' } }));
    expect(e.codes).toEqual(['LLMOPS_CONFIG_VECTOR_STORE']);
    expect(e.message).toContain('vectorStore.dimension undefined is required: the dimension of your embedding model');
  });
});
