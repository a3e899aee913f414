import { App, Aws, CfnElement, NestedStack, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { Construct, IConstruct } from 'constructs';
import { LeastPrivilegeRole } from '../../constructs/common/least-privilege-role';
import { LlmOpsValidationError } from '../../constructs/common/validation';
import { FineTuningPipeline } from '../../constructs/fine-tuning/fine-tuning-pipeline';
import { BoundaryStatement, GuardrailCode, IamGuardrails, nvmeInstanceFamilies } from '../../constructs/guardrails/iam-guardrails';
import { TrainingJobRequest, trainingJobRequests, trainingJobsOfDefinition } from '../../constructs/guardrails/training-job-requests';
import { ModelSource } from '../../constructs/inference/model-source';

// As test/env.js: skip aws-cdk-lib's CloudFormation schema validator (seconds per synth) in unit tests.
if (process.env.CDK_VALIDATION === undefined) process.env.CDK_VALIDATION = 'false';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const LAMBDA = new iam.ServicePrincipal('lambda.amazonaws.com');
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:111122223333:jobs';
const WHERE = '[TestStack/Guardrails]';

/** A fresh app with one stack, `TestStack`. */
function newApp(): { app: App; stack: Stack } {
  const app = new App();
  return { app, stack: new Stack(app, 'TestStack') };
}

/** A LeastPrivilegeRole whose grants (in its own managed policy `<id>/Grants`) allow `actions` on `resources`. */
function grantedRole(scope: Construct, id: string, actions: string[], resources: string[] = [QUEUE_ARN]): LeastPrivilegeRole {
  const role = new LeastPrivilegeRole(scope, id, { assumedBy: LAMBDA });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
  return role;
}

/**
 * Synthesizes `app` and returns the node.addValidation errors it fails with, one line each, or `[]` when synth
 * succeeds. Any other error is rethrown.
 */
function synthErrors(app: App): string[] {
  const header = 'Validation failed with the following errors:\n';
  try {
    app.synth();
    return [];
  } catch (e) {
    const message = (e as Error).message;
    if (!message.startsWith(header)) throw e;
    return message.slice(header.length).split('\n').map(line => line.trim());
  }
}

/** The LlmOpsValidationError that `fn` throws. */
function constructionError(fn: () => unknown): LlmOpsValidationError {
  try {
    fn();
  } catch (e) {
    if (LlmOpsValidationError.isLlmOpsValidationError(e)) return e;
    throw e;
  }
  throw new Error('expected an LlmOpsValidationError, but nothing was thrown');
}

/** The logical ID of a construct's CloudFormation resource. */
function logicalId(c: IConstruct): string {
  return Stack.of(c).getLogicalId((c.node.defaultChild ?? c) as CfnElement);
}

/** The synthesized statements of the boundary that `guardrails` built. */
function boundaryStatementsOf(t: Template, guardrails: IamGuardrails): Json[] {
  const policy = t.toJSON().Resources[logicalId(guardrails.boundaryPolicy!)];
  expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
  return policy.Properties.PolicyDocument.Statement;
}

const sids = (statements: Json[]): string[] => statements.map(s => s.Sid);
const bySid = (statements: Json[], sid: string): Json => statements.find(s => s.Sid === sid);

/** The Sids of the built boundary with every guard on (a stack with grants and a key). */
const ALL_SIDS = [
  'AllowGrantedActions',
  'DenyPrivilegeEscalation',
  'DenyKeyDestruction',
  'DenySageMakerOutsideVpc',
  'DenySageMakerWithoutNetworkIsolation',
  'DenySageMakerNetworkIsolationUnset',
  'DenyTrainingWithoutInterContainerEncryption',
  'DenyTrainingWithoutInterContainerEncryptionUnset',
  'DenyTrainingWithoutOutputKey',
  'DenyWithoutVolumeKey',
];

const PRIVILEGE_ESCALATION = [
  'iam:CreateUser', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:CreateAccessKey', 'iam:AddUserToGroup',
  'iam:CreateRole', 'iam:UpdateAssumeRolePolicy',
  'iam:AttachRolePolicy', 'iam:AttachUserPolicy', 'iam:AttachGroupPolicy',
  'iam:PutRolePolicy', 'iam:PutUserPolicy', 'iam:PutGroupPolicy',
  'iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicyVersion',
  'iam:DetachRolePolicy', 'iam:DetachUserPolicy', 'iam:DetachGroupPolicy',
  'iam:DeleteRolePolicy', 'iam:DeleteUserPolicy', 'iam:DeleteGroupPolicy', 'iam:DeletePolicy',
  'iam:PutRolePermissionsBoundary', 'iam:PutUserPermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary',
];

const NVME_FAMILIES = ['ml.g4dn.*', 'ml.g5.*', 'ml.g6.*', 'ml.g6e.*', 'ml.g7e.*', 'ml.p4d.*', 'ml.p4de.*', 'ml.p5.*', 'ml.p5e.*', 'ml.p5en.*', 'ml.p6-b200.*'];

/** The SageMaker statements of the built boundary with every guard on, as synthesized. */
const JOBS = ['sagemaker:CreateTrainingJob', 'sagemaker:CreateHyperParameterTuningJob', 'sagemaker:CreateProcessingJob'];

const SAGEMAKER_DENIES = [
  {
    Sid: 'DenySageMakerOutsideVpc', Effect: 'Deny', Action: ['sagemaker:CreateModel', ...JOBS], Resource: '*',
    Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } },
  },
  {
    Sid: 'DenySageMakerWithoutNetworkIsolation', Effect: 'Deny', Action: ['sagemaker:CreateModel', ...JOBS], Resource: '*',
    Condition: { Bool: { 'sagemaker:NetworkIsolation': 'false' } },
  },
  {
    Sid: 'DenySageMakerNetworkIsolationUnset', Effect: 'Deny', Action: ['sagemaker:CreateModel', ...JOBS], Resource: '*',
    Condition: { Null: { 'sagemaker:NetworkIsolation': 'true' } },
  },
  {
    Sid: 'DenyTrainingWithoutInterContainerEncryption', Effect: 'Deny', Action: JOBS, Resource: '*',
    Condition: { Bool: { 'sagemaker:InterContainerTrafficEncryption': 'false' } },
  },
  {
    Sid: 'DenyTrainingWithoutInterContainerEncryptionUnset', Effect: 'Deny', Action: JOBS, Resource: '*',
    Condition: { Null: { 'sagemaker:InterContainerTrafficEncryption': 'true' } },
  },
  {
    Sid: 'DenyTrainingWithoutOutputKey', Effect: 'Deny', Action: [...JOBS, 'sagemaker:CreateTransformJob'], Resource: '*',
    Condition: { Null: { 'sagemaker:OutputKmsKeyArn': 'true' } },
  },
  {
    Sid: 'DenyWithoutVolumeKey', Effect: 'Deny', Action: [...JOBS, 'sagemaker:CreateTransformJob', 'sagemaker:CreateEndpointConfig'], Resource: '*',
    Condition: {
      'Null': { 'sagemaker:VolumeKmsKeyArn': 'true' },
      'ForAnyValue:StringNotLike': { 'sagemaker:InstanceTypes': NVME_FAMILIES },
    },
  },
];

describe('When a stack with a least-privilege role, a plain role and a key is put under the default guardrails', () => {
  const { app, stack } = newApp();
  // The guardrails come first: the boundary is written from the grants as they are once construction is over.
  const guardrails = new IamGuardrails(stack, 'Guardrails');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const appRole = new LeastPrivilegeRole(stack, 'AppRole', { assumedBy: LAMBDA });
  s3.Bucket.fromBucketName(stack, 'Datasets', 'datasets-bucket').grantRead(appRole);
  key.grantDecrypt(appRole);
  const plainRole = new iam.Role(stack, 'PlainRole', { assumedBy: LAMBDA });
  plainRole.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [QUEUE_ARN] }));
  const errors = synthErrors(app);
  const t = Template.fromStack(stack);
  const statements = boundaryStatementsOf(t, guardrails);
  const boundaryId = logicalId(guardrails.boundaryPolicy!);
  const packs = [new AwsSolutionsChecks(), new HIPAASecurityChecks(), new NIST80053R5Checks(), new PCIDSS321Checks()];
  const reports = packs.map(pack => pack.validateScope(app));
  const findingsOn = (path: string) => reports.flatMap(r => r.violations)
    .filter(v => v.violatingResources.some(res => res.constructPath === path))
    .map(v => v.ruleName);

  test('synth succeeds', () => {
    expect(errors).toEqual([]);
  });

  test('the guardrails expose the boundary they built', () => {
    expect(guardrails.boundary).toBe(guardrails.boundaryPolicy);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: 'Permissions boundary of every role of TestStack (cdk-llmops IamGuardrails)',
    });
  });

  test('the boundary has its statements in a fixed order', () => {
    expect(sids(statements)).toEqual(ALL_SIDS);
  });

  test('the boundary allows exactly the granted actions of both roles, sorted, on every resource', () => {
    expect(bySid(statements, BoundaryStatement.ALLOW_GRANTED_ACTIONS)).toEqual({
      Sid: 'AllowGrantedActions',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 's3:GetBucket*', 's3:GetObject*', 's3:List*', 'sqs:SendMessage'],
      Resource: '*',
    });
  });

  test('the boundary denies privilege escalation on every resource', () => {
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{ Sid: 'DenyPrivilegeEscalation', Effect: 'Deny', Action: PRIVILEGE_ESCALATION, Resource: '*' }]),
      },
    });
  });

  test("the boundary denies destroying, disabling or re-policing any key of the account and region, the stack's key included, without referring to it", () => {
    expect(bySid(statements, BoundaryStatement.DENY_KEY_DESTRUCTION)).toEqual({
      Sid: 'DenyKeyDestruction',
      Effect: 'Deny',
      Action: ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:DisableKeyRotation', 'kms:PutKeyPolicy', 'kms:DeleteAlias', 'kms:UpdateAlias'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':key/*']] },
    });
    expect(JSON.stringify(statements)).not.toContain(logicalId(key));
  });

  test('the boundary denies SageMaker models, training jobs and endpoint configs without VPC, isolation and keys', () => {
    expect(statements.filter(s => s.Sid.startsWith('DenySageMaker') || s.Sid.startsWith('DenyTraining') || s.Sid === 'DenyWithoutVolumeKey'))
      .toEqual(SAGEMAKER_DENIES);
  });

  test('sageMakerDenyStatements gives the same SageMaker statements, for a service control policy', () => {
    const scp = IamGuardrails.sageMakerDenyStatements({ requireVpc: true, requireNetworkIsolation: true, requireEncryption: true });
    expect(scp.map(s => stack.resolve(s.toStatementJson()))).toEqual(SAGEMAKER_DENIES);
  });

  test('every role of the stack carries the boundary', () => {
    const roles = t.findResources('AWS::IAM::Role');
    expect(Object.keys(roles).sort()).toEqual([logicalId(appRole), logicalId(plainRole)].sort());
    for (const role of Object.values(roles)) expect(role.Properties.PermissionsBoundary).toEqual({ Ref: boundaryId });
  });

  test('the boundary is not attached to any role as a policy', () => {
    for (const role of Object.values(t.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns ?? []).not.toContainEqual({ Ref: boundaryId });
    }
  });

  test('AwsSolutions, HIPAA, NIST 800-53 R5 and PCI DSS 3.2.1 report nothing on the boundary', () => {
    expect(findingsOn(`${guardrails.boundaryPolicy!.node.path}/Resource`)).toEqual([]);
  });

  test("the packs did run: they report the plain role's inline policy", () => {
    expect(findingsOn(`${plainRole.node.path}/DefaultPolicy/Resource`)).toEqual([
      'HIPAA.Security-IAMNoInlinePolicy', 'NIST.800.53.R5-IAMNoInlinePolicy', 'PCI.DSS.321-IAMNoInlinePolicy',
    ]);
  });
});

describe('When a stack with no grants is put under the default guardrails', () => {
  const { app, stack } = newApp();
  const guardrails = new IamGuardrails(stack, 'Guardrails');
  new iam.Role(stack, 'Idle', { assumedBy: LAMBDA });
  const errors = synthErrors(app);
  const statements = boundaryStatementsOf(Template.fromStack(stack), guardrails);

  test('synth succeeds', () => {
    expect(errors).toEqual([]);
  });

  test('the boundary allows nothing, only the denies', () => {
    expect(sids(statements)).toEqual(ALL_SIDS.filter(sid => sid !== 'AllowGrantedActions'));
  });
});

describe.each([
  ['requireVpc', { requireVpc: false }, ['DenySageMakerOutsideVpc']],
  ['requireNetworkIsolation', { requireNetworkIsolation: false }, ['DenySageMakerWithoutNetworkIsolation', 'DenySageMakerNetworkIsolationUnset']],
  ['requireEncryption', { requireEncryption: false }, [
    'DenyTrainingWithoutInterContainerEncryption', 'DenyTrainingWithoutInterContainerEncryptionUnset', 'DenyTrainingWithoutOutputKey', 'DenyWithoutVolumeKey',
  ]],
] as const)('When %s is false', (_prop, props, dropped) => {
  const { app, stack } = newApp();
  const guardrails = new IamGuardrails(stack, 'Guardrails', props);
  new kms.Key(stack, 'Key', { enableKeyRotation: true });
  grantedRole(stack, 'AppRole', ['sqs:SendMessage']);
  const errors = synthErrors(app);
  const statements = boundaryStatementsOf(Template.fromStack(stack), guardrails);

  test('synth succeeds', () => {
    expect(errors).toEqual([]);
  });

  test('the boundary drops the statements of that guard and keeps every other', () => {
    expect(sids(statements)).toEqual(ALL_SIDS.filter(sid => !(dropped as readonly string[]).includes(sid)));
  });

  test('sageMakerDenyStatements drops the same statements', () => {
    const options = { requireVpc: true, requireNetworkIsolation: true, requireEncryption: true, ...props };
    expect(IamGuardrails.sageMakerDenyStatements(options).map(s => s.sid)).toEqual(
      SAGEMAKER_DENIES.map(s => s.Sid).filter(sid => !(dropped as readonly string[]).includes(sid)));
  });
});

describe('When protectedKeys names one of two keys and deniedActions adds actions', () => {
  const { app, stack } = newApp();
  const protectedKey = new kms.Key(stack, 'Protected', { enableKeyRotation: true });
  new kms.Key(stack, 'Scratch', { enableKeyRotation: true });
  const imported = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  const guardrails = new IamGuardrails(stack, 'Guardrails', {
    protectedKeys: [protectedKey, imported],
    deniedActions: ['s3:DeleteBucket', 'dynamodb:Delete*'],
  });
  grantedRole(stack, 'AppRole', ['sqs:SendMessage']);
  const errors = synthErrors(app);
  const statements = boundaryStatementsOf(Template.fromStack(stack), guardrails);

  test('synth succeeds', () => {
    expect(errors).toEqual([]);
  });

  test('DenyKeyDestruction names only the protected keys', () => {
    expect(bySid(statements, 'DenyKeyDestruction').Resource).toEqual([
      { 'Fn::GetAtt': [logicalId(protectedKey), 'Arn'] },
      'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    ]);
  });

  test('DenyActions denies the given actions on every resource, after the key statement', () => {
    expect(bySid(statements, BoundaryStatement.DENY_ACTIONS)).toEqual({
      Sid: 'DenyActions', Effect: 'Deny', Action: ['s3:DeleteBucket', 'dynamodb:Delete*'], Resource: '*',
    });
    expect(sids(statements).slice(0, 4)).toEqual(['AllowGrantedActions', 'DenyPrivilegeEscalation', 'DenyKeyDestruction', 'DenyActions']);
  });
});

describe('When the instance families with local NVMe storage are listed', () => {
  const families = nvmeInstanceFamilies();

  test('they are whole families, sorted, with g5 and p5 among them', () => {
    expect(families).toEqual(NVME_FAMILIES);
    expect(families).toContain('ml.g5.*');
  });

  test('Inferentia (inf2), which has no NVMe storage and takes a volume key, is not among them', () => {
    expect(families.filter(f => f.includes('inf2'))).toEqual([]);
  });
});

// Stacks that break a guardrail: synth fails listing every problem as
// `[<guardrails path>] <offending construct path> <prop> <value> <allowed> [<CODE>]`.
const BREAKING: Array<{ when: string; build: (stack: Stack) => void; errors: string[] }> = [
  {
    when: 'a role is granted iam:CreateRole, which the boundary denies',
    build: stack => {
      grantedRole(stack, 'AppRole', ['iam:CreateRole'], ['*']);
      new IamGuardrails(stack, 'Guardrails');
    },
    errors: [
      `${WHERE} TestStack/AppRole/Grants/Resource Action 'iam:CreateRole' is granted on * but the boundary denies it (statement DenyPrivilegeEscalation); `
      + `remove the grant, or the deny from the boundary [${GuardrailCode.BOUNDARY_DENIES_GRANT}]`,
    ],
  },
  {
    when: 'deniedActions names an action that a role is granted',
    build: stack => {
      grantedRole(stack, 'AppRole', ['s3:DeleteObject*'], ['arn:aws:s3:::datasets/*']);
      new IamGuardrails(stack, 'Guardrails', { deniedActions: ['s3:DeleteObject'] });
    },
    errors: [
      `${WHERE} TestStack/AppRole/Grants/Resource Action 's3:DeleteObject*' is granted on arn:aws:s3:::datasets/* but the boundary denies it (statement DenyActions); `
      + 'remove the grant, or the deny from the boundary [LLMOPS_BOUNDARY_DENIES_GRANT]',
    ],
  },
  {
    when: 'a role is allowed every action, every action of a service, and everything but some actions',
    build: stack => {
      const role = grantedRole(stack, 'AppRole', ['*'], ['*']);
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['arn:aws:s3:::datasets/*'] }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({ notActions: ['iam:*'], resources: ['*'] }));
      new IamGuardrails(stack, 'Guardrails');
    },
    errors: [
      `${WHERE} TestStack/AppRole/Grants/Resource Action '*' allows every action; grant the actions the role needs (see constructs/permissions.ts and the grant methods) [LLMOPS_IAM_WILDCARD_ACTION]`,
      `${WHERE} TestStack/AppRole/Grants/Resource Action 's3:*' allows every action; grant the actions the role needs (see constructs/permissions.ts and the grant methods) [LLMOPS_IAM_WILDCARD_ACTION]`,
      `${WHERE} TestStack/AppRole/Grants/Resource NotAction ["iam:*"] allows every action but these; grant the actions the role needs instead [${GuardrailCode.WILDCARD_ACTION}]`,
      // `*` also names iam:CreateRole and the other escalation actions.
      `${WHERE} TestStack/AppRole/Grants/Resource Action '*' is granted on * but the boundary denies it (statement DenyPrivilegeEscalation); `
      + 'remove the grant, or the deny from the boundary [LLMOPS_BOUNDARY_DENIES_GRANT]',
    ],
  },
  {
    when: 'a plain role has an inline wildcard statement',
    build: stack => {
      new iam.Role(stack, 'PlainRole', { assumedBy: LAMBDA }).addToPolicy(new iam.PolicyStatement({ actions: ['sqs:*'], resources: [QUEUE_ARN] }));
      new IamGuardrails(stack, 'Guardrails');
    },
    errors: [
      `${WHERE} TestStack/PlainRole/DefaultPolicy/Resource Action 'sqs:*' allows every action; grant the actions the role needs (see constructs/permissions.ts and the grant methods) [LLMOPS_IAM_WILDCARD_ACTION]`,
    ],
  },
  {
    when: 'a role has an AWS managed policy',
    build: stack => {
      grantedRole(stack, 'AppRole', ['sqs:SendMessage']).addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess'));
      new IamGuardrails(stack, 'Guardrails');
    },
    errors: [
      `${WHERE} TestStack/AppRole/Resource ManagedPolicyArns 'arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess' is an AWS managed policy; `
      + `grant what the role needs with a customer managed policy (LeastPrivilegeRole does this) [${GuardrailCode.AWS_MANAGED_POLICY}]`,
    ],
  },
  {
    when: 'your own boundary does not allow an action that a role is granted',
    build: stack => {
      grantedRole(stack, 'AppRole', ['s3:GetObject', 'sqs:SendMessage']);
      const boundary = new iam.ManagedPolicy(stack, 'MyBoundary', {
        statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })],
      });
      new IamGuardrails(stack, 'Guardrails', { boundary });
    },
    errors: [
      `${WHERE} TestStack/AppRole/Grants/Resource Action 'sqs:SendMessage' is granted but the boundary does not allow it, so the role could never use it; `
      + `allow it in the boundary [${GuardrailCode.BOUNDARY_MISSES_GRANT}]`,
    ],
  },
  {
    when: 'your own boundary denies an action that a role is granted',
    build: stack => {
      grantedRole(stack, 'AppRole', ['s3:GetObject', 's3:DeleteObject'], ['arn:aws:s3:::datasets/*']);
      const boundary = new iam.ManagedPolicy(stack, 'MyBoundary', {
        statements: [
          new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }),
          new iam.PolicyStatement({ sid: 'NoDeletes', effect: iam.Effect.DENY, actions: ['s3:Delete*'], resources: ['*'] }),
        ],
      });
      new IamGuardrails(stack, 'Guardrails', { boundary });
    },
    errors: [
      `${WHERE} TestStack/AppRole/Grants/Resource Action 's3:DeleteObject' is granted on arn:aws:s3:::datasets/* but the boundary denies it (statement NoDeletes); `
      + 'remove the grant, or the deny from the boundary [LLMOPS_BOUNDARY_DENIES_GRANT]',
    ],
  },
];

describe.each(BREAKING)('When $when', ({ build, errors }) => {
  const { app, stack } = newApp();
  build(stack);
  const actual = synthErrors(app);

  test('synth fails listing each offending construct, value and allowed alternative with its code', () => {
    expect(actual).toEqual(errors);
  });
});

describe("When a role is granted a key destruction action on the stack's key", () => {
  const { app, stack } = newApp();
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  key.grant(new LeastPrivilegeRole(stack, 'AppRole', { assumedBy: LAMBDA }), 'kms:DisableKey');
  new IamGuardrails(stack, 'Guardrails');
  const errors = synthErrors(app);

  test("synth fails naming the grant, the key's ARN and the DenyKeyDestruction statement", () => {
    expect(errors).toEqual([
      `${WHERE} TestStack/AppRole/Grants/Resource Action 'kms:DisableKey' is granted on <${logicalId(key)}.Arn> but the boundary denies it `
      + '(statement DenyKeyDestruction); remove the grant, or the deny from the boundary [LLMOPS_BOUNDARY_DENIES_GRANT]',
    ]);
  });
});

describe('When one role has its boundary cleared and another has it replaced', () => {
  const { app, stack } = newApp();
  const guardrails = new IamGuardrails(stack, 'Guardrails');
  iam.PermissionsBoundary.of(grantedRole(stack, 'Cleared', ['sqs:SendMessage'])).clear();
  const replaced = grantedRole(stack, 'Replaced', ['sqs:SendMessage']);
  iam.PermissionsBoundary.of(replaced).apply(iam.ManagedPolicy.fromManagedPolicyArn(stack, 'Other', 'arn:aws:iam::111122223333:policy/other'));
  const errors = synthErrors(app);
  const boundary = `<${logicalId(guardrails.boundaryPolicy!)}>`;

  test('synth fails naming both roles, what they carry and the boundary they must carry', () => {
    expect(errors).toEqual([
      `${WHERE} TestStack/Cleared/Resource PermissionsBoundary undefined must be the guardrails boundary ${boundary}; `
      + `do not clear or replace it under TestStack [${GuardrailCode.ROLE_WITHOUT_BOUNDARY}]`,
      `${WHERE} TestStack/Replaced/Resource PermissionsBoundary 'arn:aws:iam::111122223333:policy/other' must be the guardrails boundary ${boundary}; `
      + 'do not clear or replace it under TestStack [LLMOPS_IAM_ROLE_WITHOUT_BOUNDARY]',
    ]);
  });
});

describe('When your own boundary, a managed policy of the stack, allows every granted action', () => {
  const { app, stack } = newApp();
  const role = grantedRole(stack, 'AppRole', ['s3:GetObject', 'sqs:SendMessage']);
  const boundary = new iam.ManagedPolicy(stack, 'MyBoundary', {
    statements: [new iam.PolicyStatement({ actions: ['s3:Get*', 'sqs:SendMessage'], resources: ['*'] })],
  });
  const guardrails = new IamGuardrails(stack, 'Guardrails', { boundary });
  const errors = synthErrors(app);
  const t = Template.fromStack(stack);

  test('synth succeeds', () => {
    expect(errors).toEqual([]);
  });

  test('the role carries your boundary and the guardrails build none', () => {
    expect(guardrails.boundary).toBe(boundary);
    expect(guardrails.boundaryPolicy).toBeUndefined();
    t.hasResourceProperties('AWS::IAM::Role', { PermissionsBoundary: { Ref: logicalId(boundary) } });
    expect(t.toJSON().Resources[logicalId(role)].Properties.PermissionsBoundary).toEqual({ Ref: logicalId(boundary) });
    t.resourcePropertiesCountIs('AWS::IAM::ManagedPolicy', { Description: Match.stringLikeRegexp('cdk-llmops IamGuardrails') }, 0);
  });
});

// Your own boundary caps the grants; it is not read as one.
describe('When your own boundary, a managed policy of the stack, allows by service as LLMOPS_BOUNDARY_TOO_LARGE advises', () => {
  const { app, stack } = newApp();
  grantedRole(stack, 'AppRole', ['s3:GetObject', 'sqs:SendMessage']);
  const boundary = new iam.ManagedPolicy(stack, 'MyBoundary', {
    statements: [new iam.PolicyStatement({ actions: ['s3:*', 'sqs:*'], resources: ['*'] })],
  });
  new IamGuardrails(stack, 'Guardrails', { boundary });
  const errors = synthErrors(app);

  test('synth succeeds: a boundary grants nothing, so its service wildcards are not wildcard grants', () => {
    expect(errors).toEqual([]);
  });
});

describe('When your own boundary is an imported managed policy', () => {
  const { app, stack } = newApp();
  const role = grantedRole(stack, 'AppRole', ['sqs:SendMessage']);
  const plain = new iam.Role(stack, 'PlainRole', { assumedBy: LAMBDA });
  const guardrails = new IamGuardrails(stack, 'Guardrails', { boundary: iam.ManagedPolicy.fromManagedPolicyName(stack, 'Imported', 'llmops-boundary') });
  const errors = synthErrors(app);
  const t = Template.fromStack(stack);
  const importedArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':policy/llmops-boundary']] };

  test('synth succeeds: the imported policy cannot be read, so the grants are not checked against it', () => {
    expect(errors).toEqual([]);
  });

  test('every role carries the imported boundary', () => {
    for (const r of [role, plain]) expect(t.toJSON().Resources[logicalId(r)].Properties.PermissionsBoundary).toEqual(importedArn);
  });

  test('the guardrails build no boundary of their own', () => {
    expect(guardrails.boundaryPolicy).toBeUndefined();
    t.resourceCountIs('AWS::IAM::ManagedPolicy', 1); // the role's Grants
  });
});

describe('When the stack grants so many distinct actions that the built boundary exceeds 6,144 characters', () => {
  const { app, stack } = newApp();
  grantedRole(stack, 'AppRole', Array.from({ length: 300 }, (_, i) => `svc:Action${String(i).padStart(3, '0')}`), ['arn:aws:svc:us-east-1:111122223333:thing/x']);
  new IamGuardrails(stack, 'Guardrails');
  const errors = synthErrors(app);

  test('synth fails with the boundary size and the way out', () => {
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(
      `^\\[TestStack/Guardrails\\] boundary '(\\d+) characters' is over IAM's 6144-character limit for a managed policy; `
      + 'pass your own `boundary` \\(e\\.g\\. allowing by service\\) \\[LLMOPS_BOUNDARY_TOO_LARGE\\]$'));
    expect(Number(/'(\d+) characters'/.exec(errors[0])![1])).toBeGreaterThan(6144);
  });
});

describe('When a stack grants fewer actions, so the built boundary fits', () => {
  const { app, stack } = newApp();
  grantedRole(stack, 'AppRole', Array.from({ length: 100 }, (_, i) => `svc:Action${String(i).padStart(3, '0')}`), ['arn:aws:svc:us-east-1:111122223333:thing/x']);
  new IamGuardrails(stack, 'Guardrails');

  test('synth succeeds', () => {
    expect(synthErrors(app)).toEqual([]);
  });
});

// Two patterns overlap when some action matches both, even through a wildcard on each side.
describe('When deniedActions blocks part of a grant that only a wildcard on each side has in common', () => {
  const { app, stack } = newApp();
  grantedRole(stack, 'AppRole', ['s3:DeleteObject*'], ['arn:aws:s3:::datasets/*']);
  new IamGuardrails(stack, 'Guardrails', { deniedActions: ['s3:*Version'] });
  const errors = synthErrors(app);

  test('synth fails: s3:*Version denies s3:DeleteObjectVersion, which s3:DeleteObject* grants', () => {
    expect(errors).toEqual([
      `${WHERE} TestStack/AppRole/Grants/Resource Action 's3:DeleteObject*' is granted on arn:aws:s3:::datasets/* but the boundary denies it (statement DenyActions); `
      + 'remove the grant, or the deny from the boundary [LLMOPS_BOUNDARY_DENIES_GRANT]',
    ]);
  });
});

describe('When a role of a nested stack is granted an action', () => {
  const { app, stack } = newApp();
  const nested = new NestedStack(stack, 'Nested');
  grantedRole(nested, 'NestedRole', ['sqs:SendMessage']);
  const guardrails = new IamGuardrails(stack, 'Guardrails');
  const errors = synthErrors(app);

  test('synth fails: the boundary covers the stack\'s own roles only, and the nested role is named', () => {
    expect(errors).toEqual([
      `${WHERE} TestStack/Nested/NestedRole/Resource PermissionsBoundary undefined is missing: the role is in nested stack TestStack/Nested, `
      + 'which this boundary does not cover; add an IamGuardrails to that nested stack [LLMOPS_IAM_ROLE_WITHOUT_BOUNDARY]',
    ]);
  });

  test('the boundary does not allow the nested role\'s grant, since it never caps that role', () => {
    // The failed synth has written the statements (validation runs after them); a template would synthesize again.
    const statements: Json[] = stack.resolve(guardrails.boundaryPolicy!.document).Statement;
    expect(sids(statements)).toContain('DenyPrivilegeEscalation');
    expect([bySid(statements, 'AllowGrantedActions')?.Action ?? []].flat()).not.toContain('sqs:SendMessage');
  });
});

describe('When a nested stack has its own guardrails', () => {
  const { app, stack } = newApp();
  const nested = new NestedStack(stack, 'Nested');
  const role = grantedRole(nested, 'NestedRole', ['sqs:SendMessage']);
  new IamGuardrails(stack, 'Guardrails');
  const own = new IamGuardrails(nested, 'Guardrails');
  const errors = synthErrors(app);

  test('synth succeeds, and the nested role carries the nested boundary, which allows its grant', () => {
    expect(errors).toEqual([]);
    const nestedTemplate = Template.fromStack(nested);
    expect(nestedTemplate.toJSON().Resources[logicalId(role)].Properties.PermissionsBoundary).toEqual({ Ref: logicalId(own.boundaryPolicy!) });
    expect([bySid(boundaryStatementsOf(nestedTemplate, own), 'AllowGrantedActions')?.Action].flat()).toEqual(['sqs:SendMessage']);
  });
});

describe('When bad props are given', () => {
  const where = "IamGuardrails at 'TestStack/Guardrails'";
  const imported = (stack: Stack) => iam.ManagedPolicy.fromManagedPolicyName(stack, 'Imported', 'llmops-boundary');

  test('boundary with requireVpc throws at construction, naming the prop', () => {
    const { stack } = newApp();
    const e = constructionError(() => new IamGuardrails(stack, 'Guardrails', { boundary: imported(stack), requireVpc: true }));
    expect(e.codes).toEqual([GuardrailCode.BOUNDARY_PROPS_CONFLICT]);
    expect(e.problems.map(p => p.prop)).toEqual(['requireVpc']);
    expect(e.message).toMatch(new RegExp(`^${where}: requireVpc .* shapes the boundary this construct builds; `
      + 'with your own `boundary`, put the statement in it instead \\[LLMOPS_BOUNDARY_PROPS_CONFLICT\\]$'));
  });

  test('boundary with every prop that shapes the built boundary lists each of them, even false ones', () => {
    const { stack } = newApp();
    const e = constructionError(() => new IamGuardrails(stack, 'Guardrails', {
      boundary: imported(stack), requireVpc: false, requireNetworkIsolation: true, requireEncryption: false,
      protectedKeys: [new kms.Key(stack, 'Key')], deniedActions: ['s3:DeleteBucket'],
    }));
    expect(e.codes).toEqual(Array(5).fill('LLMOPS_BOUNDARY_PROPS_CONFLICT'));
    expect(e.problems.map(p => p.prop)).toEqual(['requireVpc', 'requireNetworkIsolation', 'requireEncryption', 'protectedKeys', 'deniedActions']);
    expect(e.message).toMatch(new RegExp(`^${where} has 5 invalid props:\n`));
  });

  test('a denied action without a service prefix throws at construction, with an example', () => {
    const { stack } = newApp();
    expect(() => new IamGuardrails(stack, 'Guardrails', { deniedActions: ['s3:DeleteBucket', 'DeleteBucket'] })).toThrow(
      `${where}: deniedActions[1] 'DeleteBucket' is not an IAM action; allowed: '<service>:<action>' with optional * and ? wildcards, `
      + `e.g. 's3:DeleteBucket' [${GuardrailCode.DENIED_ACTION}]`);
  });

  test('every malformed denied action is listed in one error', () => {
    const { stack } = newApp();
    const e = constructionError(() => new IamGuardrails(stack, 'Guardrails', { deniedActions: ['*', 's3:Delete Bucket', 's3:Get*', 'arn:aws:s3:::b'] }));
    expect(e.codes).toEqual(['LLMOPS_BOUNDARY_DENIED_ACTION', 'LLMOPS_BOUNDARY_DENIED_ACTION', 'LLMOPS_BOUNDARY_DENIED_ACTION']);
    expect(e.problems.map(p => `${p.prop} ${p.value}`)).toEqual(["deniedActions[0] '*'", "deniedActions[1] 's3:Delete Bucket'", "deniedActions[3] 'arn:aws:s3:::b'"]);
  });
});

describe('When a fine-tuning pipeline trains a Hugging Face Hub model under the default guardrails', () => {
  const { app, stack } = newApp();
  new FineTuningPipeline(stack, 'Pipeline', {
    baseModel: ModelSource.huggingFaceHub('mistralai/Mistral-7B-v0.3'),
    evaluation: { metric: 'eval_loss', threshold: 2 },
  });
  new IamGuardrails(stack, 'Guardrails');
  const errors = synthErrors(app);

  test('synth fails: the training job turns network isolation off, which the boundary would deny', () => {
    expect(errors).toEqual([
      `${WHERE} TestStack/Pipeline/StateMachine/Resource state Train EnableNetworkIsolation false would be denied by the boundary (requireNetworkIsolation); `
      + `set it in the training job, or turn the guard off with IamGuardrails props [${GuardrailCode.BOUNDARY_DENIES_REQUEST}]`,
    ]);
  });
});

describe('When a fine-tuning pipeline trains a Hugging Face Hub model with requireNetworkIsolation false', () => {
  const { app, stack } = newApp();
  const pipeline = new FineTuningPipeline(stack, 'Pipeline', {
    baseModel: ModelSource.huggingFaceHub('mistralai/Mistral-7B-v0.3'),
    evaluation: { metric: 'eval_loss', threshold: 2 },
  });
  const guardrails = new IamGuardrails(stack, 'Guardrails', { requireNetworkIsolation: false });
  const errors = synthErrors(app);
  const t = Template.fromStack(stack);
  const statements = boundaryStatementsOf(t, guardrails);

  test('synth succeeds', () => {
    expect(errors).toEqual([]);
  });

  test('the boundary keeps the VPC and encryption guards and drops the isolation ones', () => {
    expect(sids(statements)).toEqual(ALL_SIDS.filter(sid => !sid.includes('NetworkIsolation')));
  });

  test('the boundary allows the pipeline to start training jobs and pass the training role', () => {
    expect(bySid(statements, 'AllowGrantedActions').Action).toEqual(expect.arrayContaining(['sagemaker:CreateTrainingJob', 'iam:PassRole']));
  });

  test("every role of the pipeline carries the boundary, the state machine's among them", () => {
    const roles = Object.values(t.findResources('AWS::IAM::Role'));
    expect(roles.length).toBeGreaterThanOrEqual(2);
    for (const role of roles) expect(role.Properties.PermissionsBoundary).toEqual({ Ref: logicalId(guardrails.boundaryPolicy!) });
    expect(t.toJSON().Resources[logicalId(pipeline.stateMachine.role)].Properties.PermissionsBoundary).toBeDefined();
  });
});

describe('When hand-written state machines start training jobs and a role may create them', () => {
  const { app, stack } = newApp();
  const role = grantedRole(stack, 'StatesRole', ['sagemaker:CreateTrainingJob'], ['arn:aws:sagemaker:us-east-1:111122223333:training-job/llm-*']);
  new IamGuardrails(stack, 'Guardrails');
  // Compliant: a Definition object, the job in a Parallel branch, on an NVMe instance type without a volume key.
  new sfn.CfnStateMachine(stack, 'Compliant', {
    roleArn: role.roleArn,
    definition: {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Parallel', End: true,
          Branches: [{
            StartAt: 'TrainInBranch',
            States: {
              TrainInBranch: {
                Type: 'Task', End: true, Resource: 'arn:aws:states:::sagemaker:createTrainingJob',
                Parameters: {
                  'TrainingJobName.$': '$.name',
                  'VpcConfig': { Subnets: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
                  'EnableNetworkIsolation': true,
                  'EnableInterContainerTrafficEncryption': true,
                  'OutputDataConfig': { S3OutputPath: 's3://out/', KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k' },
                  'ResourceConfig': { InstanceType: 'ml.g5.2xlarge', InstanceCount: 1, VolumeSizeInGB: 100 },
                },
              },
            },
          }],
        },
      },
    },
  });
  // Non-compliant: a DefinitionString with intrinsics (Fn::Join), a computed isolation flag, no VPC, no keys.
  const broken = new sfn.CfnStateMachine(stack, 'Broken', {
    roleArn: role.roleArn,
    definitionString: stack.toJsonString({
      StartAt: 'Train',
      States: {
        Train: {
          Type: 'Task', End: true, Resource: `arn:${Aws.PARTITION}:states:::sagemaker:createTrainingJob.sync`,
          Parameters: {
            'TrainingJobName.$': '$.name',
            'EnableNetworkIsolation.$': '$.isolated',
            'OutputDataConfig': { S3OutputPath: 's3://out/' },
            'ResourceConfig': { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 100 },
          },
        },
      },
    }),
  });
  // Skipped: a definition in S3 cannot be read.
  new sfn.CfnStateMachine(stack, 'InS3', { roleArn: role.roleArn, definitionS3Location: { bucket: 'definitions', key: 'train.asl.json' } });
  const errors = synthErrors(app);
  const at = `${WHERE} TestStack/Broken state Train`;
  const tail = 'set it in the training job, or turn the guard off with IamGuardrails props [LLMOPS_BOUNDARY_DENIES_REQUEST]';

  test('the requests of both readable definitions are found, the one in S3 skipped', () => {
    expect(trainingJobRequests(stack).map(r => `${r.stateMachinePath} ${r.stateName}`)).toEqual(['TestStack/Compliant TrainInBranch', 'TestStack/Broken Train']);
    expect(broken.node.path).toBe('TestStack/Broken');
  });

  test('synth fails on every guard the non-compliant job breaks, and on nothing of the compliant one', () => {
    expect(errors).toEqual([
      `${at} VpcConfig undefined would be denied by the boundary (requireVpc); ${tail}`,
      `${at} EnableNetworkIsolation '$.isolated' would be denied by the boundary (requireNetworkIsolation); ${tail}`,
      `${at} EnableInterContainerTrafficEncryption undefined would be denied by the boundary (requireEncryption); ${tail}`,
      `${at} OutputDataConfig.KmsKeyId undefined would be denied by the boundary (requireEncryption); ${tail}`,
      `${at} ResourceConfig.VolumeKmsKeyId undefined would be denied by the boundary (requireEncryption; ml.m5.xlarge has no local NVMe storage, so it takes a volume key); ${tail}`,
    ]);
  });
});

describe('When a state machine starts a non-compliant training job but no role of the stack may create one', () => {
  const { app, stack } = newApp();
  const role = grantedRole(stack, 'StatesRole', ['states:StartExecution'], ['arn:aws:states:us-east-1:111122223333:stateMachine:x']);
  new sfn.CfnStateMachine(stack, 'Machine', {
    roleArn: role.roleArn,
    definition: { StartAt: 'Train', States: { Train: { Type: 'Task', End: true, Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync', Parameters: {} } } },
  });
  new IamGuardrails(stack, 'Guardrails');

  test('synth succeeds: the stack cannot start it, so the boundary would not be the one to deny it', () => {
    expect(synthErrors(app)).toEqual([]);
  });
});

describe('When a JSONata state machine starts a compliant training job written with {% true %} expressions', () => {
  const { app, stack } = newApp();
  const role = grantedRole(stack, 'StatesRole', ['sagemaker:CreateTrainingJob'], ['arn:aws:sagemaker:us-east-1:111122223333:training-job/ft-*']);
  new sfn.CfnStateMachine(stack, 'Machine', {
    roleArn: role.roleArn,
    definition: {
      QueryLanguage: 'JSONata',
      StartAt: 'Train',
      States: {
        Train: {
          Type: 'Task', End: true, Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
          Arguments: {
            VpcConfig: { Subnets: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
            EnableNetworkIsolation: '{% true %}',
            EnableInterContainerTrafficEncryption: '{% true %}',
            OutputDataConfig: { S3OutputPath: 's3://b/output/', KmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k' },
            ResourceConfig: { InstanceType: 'ml.g5.2xlarge', InstanceCount: 1, VolumeSizeInGB: 100 },
          },
        },
      },
    },
  });
  new IamGuardrails(stack, 'Guardrails');

  test('synth succeeds: the expressions send true, which the boundary allows', () => {
    expect(synthErrors(app)).toEqual([]);
  });
});

describe('When a bucket policy grants a role of the stack an action its own policies do not', () => {
  const { app, stack } = newApp();
  const role = grantedRole(stack, 'Reader', ['sqs:SendMessage']);
  const bucket = new s3.Bucket(stack, 'Bucket', { enforceSSL: true });
  bucket.addToResourcePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], principals: [role], resources: [bucket.arnForObjects('*')] }));
  const guardrails = new IamGuardrails(stack, 'Guardrails');
  const errors = synthErrors(app);

  test('the boundary allows it too, since a boundary caps same-account grants through resource policies as well', () => {
    expect(errors).toEqual([]);
    const statements: Json[] = stack.resolve(guardrails.boundaryPolicy!.document).Statement;
    expect(bySid(statements, 'AllowGrantedActions').Action).toEqual(['s3:GetObject', 'sqs:SendMessage']);
  });
});

describe('When training job tasks are read from hand-written definitions', () => {
  const PATH = 'App/Stack/Machine';
  const base = { stateMachinePath: PATH, vpc: false, networkIsolation: undefined, interContainerEncryption: undefined, outputKmsKey: false, volumeKmsKey: false, instanceType: undefined };
  const task = (request: Json, extra: Json = {}) => ({
    Type: 'Task', End: true, Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync', ...extra, ...request,
  });
  const read = (states: Json, definition: Json = {}): TrainingJobRequest[] => trainingJobsOfDefinition({ StartAt: Object.keys(states)[0], States: states, ...definition }, PATH);

  test('a JSONPath task is read from Parameters, with every field it sends', () => {
    expect(read({
      Train: task({
        Parameters: {
          VpcConfig: { Subnets: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
          EnableNetworkIsolation: true,
          EnableInterContainerTrafficEncryption: true,
          OutputDataConfig: { S3OutputPath: 's3://out/', KmsKeyId: 'key-1' },
          ResourceConfig: { InstanceType: 'ml.p4d.24xlarge', InstanceCount: 1, VolumeSizeInGB: 100, VolumeKmsKeyId: 'key-2' },
        },
      }),
    })).toEqual([{
      stateMachinePath: PATH, stateName: 'Train', vpc: true, networkIsolation: true, interContainerEncryption: true, outputKmsKey: true, volumeKmsKey: true,
      instanceType: 'ml.p4d.24xlarge',
    }]);
  });

  test('a JSONata task is read from Arguments; a JSONata instance type is not a literal', () => {
    expect(read({
      Train: task({
        Arguments: {
          VpcConfig: { Subnets: '{% $states.input.subnets %}', SecurityGroupIds: ['sg-1'] },
          EnableNetworkIsolation: '{% $states.input.isolated %}',
          EnableInterContainerTrafficEncryption: false,
          ResourceConfig: { InstanceType: '{% $states.input.type %}', InstanceCount: 1 },
        },
      }),
    }, { QueryLanguage: 'JSONata' })).toEqual([{
      ...base, stateName: 'Train', vpc: true, networkIsolation: '{% $states.input.isolated %}', interContainerEncryption: false,
    }]);
  });

  test('computed `.$` keys count as set, and a JSONPath instance type is not a literal', () => {
    expect(read({
      Train: task({
        Parameters: {
          'VpcConfig.$': '$.vpc',
          'EnableNetworkIsolation.$': '$.isolated',
          'EnableInterContainerTrafficEncryption.$': '$.encrypted',
          'OutputDataConfig': { 'S3OutputPath': 's3://out/', 'KmsKeyId.$': '$.outputKey' },
          'ResourceConfig': { 'InstanceType.$': '$.type', 'InstanceCount': 1, 'VolumeKmsKeyId.$': '$.volumeKey' },
        },
      }),
    })).toEqual([{
      ...base, stateName: 'Train', vpc: true, networkIsolation: '$.isolated', interContainerEncryption: '$.encrypted', outputKmsKey: true, volumeKmsKey: true,
    }]);
  });

  test('a request without VpcConfig, keys or flags reads as none set, and a literal NVMe instance type is kept', () => {
    expect(read({ Train: task({ Parameters: { ResourceConfig: { InstanceType: 'ml.g5.2xlarge', InstanceCount: 1 } } }) }))
      .toEqual([{ ...base, stateName: 'Train', instanceType: 'ml.g5.2xlarge' }]);
  });

  test('an instance type that was an intrinsic in the definition string is not a literal', () => {
    expect(read({ Train: task({ Parameters: { ResourceConfig: { InstanceType: '<intrinsic>' } } }) })[0].instanceType).toBeUndefined();
  });

  test('tasks inside Parallel branches, Map ItemProcessors and legacy Map Iterators are found, in order', () => {
    const jobs = read({
      Fan: {
        Type: 'Parallel', Next: 'Each',
        Branches: [
          { StartAt: 'TrainA', States: { TrainA: task({ Parameters: {} }) } },
          { StartAt: 'TrainB', States: { TrainB: task({ Parameters: {} }, { Resource: 'arn:aws-cn:states:::sagemaker:createTrainingJob.waitForTaskToken' }) } },
        ],
      },
      Each: { Type: 'Map', Next: 'Legacy', ItemProcessor: { StartAt: 'TrainC', States: { TrainC: task({ Parameters: {} }) } } },
      Legacy: { Type: 'Map', End: true, Iterator: { StartAt: 'TrainD', States: { TrainD: task({ Parameters: {} }, { Resource: 'arn:aws:states:::sagemaker:createTrainingJob' }) } } },
    });
    expect(jobs.map(j => j.stateName)).toEqual(['TrainA', 'TrainB', 'TrainC', 'TrainD']);
  });

  test('other tasks (another SageMaker call, a Lambda invoke) are not training job requests', () => {
    expect(read({
      Model: task({ Parameters: {} }, { Resource: 'arn:aws:states:::sagemaker:createModel', Next: 'Invoke', End: undefined }),
      Invoke: task({ Parameters: {} }, { Resource: 'arn:aws:states:::lambda:invoke' }),
    })).toEqual([]);
  });
});
