import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { renderValue } from '../../constructs/common/compliance';
import {
  actionMatches, actionsOverlap, identityPolicies, renderedProperties, resourcesOverlap, stackRoles, statementsOf,
} from '../../constructs/guardrails/policy-analysis';

// As test/env.js: skip aws-cdk-lib's CloudFormation schema validator in unit tests.
if (process.env.CDK_VALIDATION === undefined) process.env.CDK_VALIDATION = 'false';

describe('When an IAM action pattern is matched against an action', () => {
  test.each([
    ['s3:GetObject', 's3:GetObject', true],
    ['s3:getobject', 'S3:GetObject', true],
    ['S3:Get*', 's3:getObjectTagging', true],
    ['s3:*', 's3:PutObject', true],
    ['*', 'iam:CreateRole', true],
    ['s3:Get?bject', 's3:GetObject', true],
    ['s3:Get?bject', 's3:GetObjectAcl', false],
    ['s3:Get*', 's3:PutObject', false],
    ['s3:GetObject', 's3:GetObjectAcl', false],
    ['s3:GetObject', 's3:Get*', false],
    ['iam:*Role', 'iam:CreateRole', true],
    ['iam:*Role', 'iam:CreateRolePolicy', false],
  ])("'%s' against '%s' matches: %s (case-insensitive; * any run, ? one character; whole action)", (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });

  test('regular-expression characters in a pattern are literal', () => {
    expect(actionMatches('s3:Get.Object', 's3:GetXObject')).toBe(false);
    expect(actionMatches('s3:(Get)+', 's3:(Get)+')).toBe(true);
    expect(actionMatches('s3:Get$', 's3:Get$')).toBe(true);
  });
});

describe('When two IAM action patterns are compared for overlap', () => {
  test.each([
    ['s3:GetObject', 's3:GetObject'],
    ['s3:Get*', 's3:GetObject'],
    ['s3:GetObject', 's3:Get*'],
    ['iam:*', 'iam:CreateRole'],
    ['iam:CreateRole', '*'],
    ['s3:DeleteObject', 's3:DeleteObject*'],
    ['s3:Get*', 's3:GetObject*'],
  ])("'%s' and '%s' overlap, whichever comes first", (a, b) => {
    expect(actionsOverlap(a, b)).toBe(true);
    expect(actionsOverlap(b, a)).toBe(true);
  });

  test.each([
    ['s3:GetObject', 's3:PutObject'],
    ['s3:Get*', 'sqs:GetQueueUrl'],
    ['kms:Decrypt', 'kms:Encrypt'],
  ])("'%s' and '%s' do not overlap", (a, b) => {
    expect(actionsOverlap(a, b)).toBe(false);
    expect(actionsOverlap(b, a)).toBe(false);
  });

  // Overlaps that need a wildcard on both sides.
  test.each([
    ['s3:Get*', 's3:*Object', 's3:GetObject'],
    ['s3:*Version', 's3:DeleteObject*', 's3:DeleteObjectVersion'],
    ['iam:Create*', 'iam:*Role', 'iam:CreateRole'],
  ])("'%s' and '%s' overlap: both name %s", (a, b, common) => {
    expect(actionMatches(a, common) && actionMatches(b, common)).toBe(true);
    expect(actionsOverlap(a, b)).toBe(true);
  });
});

describe('When resource lists are compared for overlap', () => {
  const keyArn = { 'Fn::GetAtt': ['Key961B73FD', 'Arn'] };

  test("'*' on either side overlaps anything", () => {
    expect(resourcesOverlap(['*'], ['arn:aws:s3:::bucket/*'])).toBe(true);
    expect(resourcesOverlap([keyArn], ['*'])).toBe(true);
    expect(resourcesOverlap(['*'], [])).toBe(true);
  });

  test('equal values overlap, strings or intrinsics alike', () => {
    expect(resourcesOverlap(['arn:aws:sqs:us-east-1:111122223333:a', 'arn:aws:sqs:us-east-1:111122223333:b'], ['arn:aws:sqs:us-east-1:111122223333:b'])).toBe(true);
    expect(resourcesOverlap([keyArn], [{ 'Fn::GetAtt': ['Key961B73FD', 'Arn'] }])).toBe(true);
  });

  test('different values do not overlap, nor does an empty list', () => {
    expect(resourcesOverlap(['arn:aws:sqs:us-east-1:111122223333:a'], ['arn:aws:sqs:us-east-1:111122223333:b'])).toBe(false);
    expect(resourcesOverlap([keyArn], [{ 'Fn::GetAtt': ['OtherKey', 'Arn'] }])).toBe(false);
    expect(resourcesOverlap([], ['arn:aws:sqs:us-east-1:111122223333:a'])).toBe(false);
  });
});

describe('When resolved values are rendered for messages', () => {
  test('an ARN joined with a Ref and a GetAtt renders them as <Id> and <Id.Attr>', () => {
    expect(renderValue({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:', { 'Fn::GetAtt': ['Key961B73FD', 'Arn'] }]] }))
      .toBe('arn:<AWS::Partition>:kms:<Key961B73FD.Arn>');
  });

  test('a Join keeps its separator and renders nested joins', () => {
    expect(renderValue({ 'Fn::Join': ['/', ['a', { 'Fn::Join': ['-', ['b', { Ref: 'C' }]] }]] })).toBe('a/b-<C>');
  });

  test('a GetAtt in its string form, a Ref and a Sub render too', () => {
    expect(renderValue({ 'Fn::GetAtt': 'Role.Arn' })).toBe('<Role.Arn>');
    expect(renderValue({ Ref: 'Bucket' })).toBe('<Bucket>');
    expect(renderValue({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b' })).toBe('arn:${AWS::Partition}:s3:::b');
  });

  test('lists are joined with commas, strings kept, nothing is empty, and anything else is JSON', () => {
    expect(renderValue(['arn:aws:s3:::a', { Ref: 'B' }])).toBe('arn:aws:s3:::a,<B>');
    expect(renderValue('*')).toBe('*');
    expect(renderValue(undefined)).toBe('');
    expect(renderValue(null)).toBe('');
    expect(renderValue({ 'Fn::If': ['C', 'a', 'b'] })).toBe('{"Fn::If":["C","a","b"]}');
  });
});

describe('When a policy document is read into statements', () => {
  test('a single statement object, string Action and Resource become lists, and Effect defaults to Allow', () => {
    expect(statementsOf({ Statement: { Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' } })).toEqual([{
      effect: 'Allow', sid: undefined, actions: ['s3:GetObject'], notActions: [], resources: ['arn:aws:s3:::b/*'], condition: undefined, awsPrincipals: [],
    }]);
  });

  test('Deny, Sid, NotAction and Condition are kept; non-string actions are dropped', () => {
    const condition = { Bool: { 'aws:SecureTransport': 'false' } };
    expect(statementsOf({
      Statement: [
        { Sid: 'NoIam', Effect: 'Deny', NotAction: ['s3:*', { Ref: 'X' }], Resource: '*', Condition: condition },
        { Effect: 'Allow', Action: ['sqs:SendMessage', { Ref: 'Y' }], Resource: [{ Ref: 'Queue' }] },
      ],
    })).toEqual([
      { effect: 'Deny', sid: 'NoIam', actions: [], notActions: ['s3:*'], resources: ['*'], condition, awsPrincipals: [] },
      { effect: 'Allow', sid: undefined, actions: ['sqs:SendMessage'], notActions: [], resources: [{ Ref: 'Queue' }], condition: undefined, awsPrincipals: [] },
    ]);
  });

  test('a missing document or statement reads as no statements', () => {
    expect(statementsOf(undefined)).toEqual([]);
    expect(statementsOf({ Version: '2012-10-17' })).toEqual([]);
  });
});

describe('When the identity policies of a stack are read', () => {
  const app = new App();
  const stack = new Stack(app, 'TestStack');
  const lambda = new iam.ServicePrincipal('lambda.amazonaws.com');
  const role = new iam.Role(stack, 'Role', {
    assumedBy: lambda,
    inlinePolicies: { Inline: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: ['*'] })] }) },
  });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:ReceiveMessage'], resources: ['*'] }));
  const managed = new iam.ManagedPolicy(stack, 'Managed', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] });
  role.addManagedPolicy(managed);
  new iam.Role(stack, 'Bare', { assumedBy: lambda });
  iam.PermissionsBoundary.of(role).apply(iam.ManagedPolicy.fromManagedPolicyArn(stack, 'Boundary', 'arn:aws:iam::111122223333:policy/b'));
  // Other stacks are not read.
  new iam.Role(new Stack(app, 'Other'), 'Elsewhere', { assumedBy: lambda }).addToPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] }));
  app.synth();
  const found = identityPolicies(stack).map(p => `${p.resource.node.path}: ${p.statements.flatMap(s => s.actions).join(',')}`);

  test("the role's inline Policies, its default policy and the managed policy are found, each with its actions", () => {
    expect(found.sort()).toEqual([
      'TestStack/Managed/Resource: s3:GetObject',
      'TestStack/Role/DefaultPolicy/Resource: sqs:ReceiveMessage',
      'TestStack/Role/Resource: sqs:SendMessage',
    ]);
  });

  test('an excluded resource is left out', () => {
    const excluded = identityPolicies(stack, new Set([managed.node.defaultChild!])).map(p => p.resource.node.path);
    expect(excluded).not.toContain('TestStack/Managed/Resource');
    expect(excluded).toHaveLength(2);
  });

  test("the stack's roles are both roles, and a role's rendered properties include the boundary set as an override", () => {
    expect(stackRoles(stack).map(r => r.node.path)).toEqual(['TestStack/Role/Resource', 'TestStack/Bare/Resource']);
    expect(renderedProperties(stackRoles(stack)[0]).PermissionsBoundary).toBe('arn:aws:iam::111122223333:policy/b');
    expect(renderedProperties(stackRoles(stack)[1]).PermissionsBoundary).toBeUndefined();
  });
});
