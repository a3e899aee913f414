import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  DescribeStacksCommandOutput,
  Stack,
  TokenAlreadyExistsException,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { GetParameterCommand, GetParameterHistoryCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ModelPackageStateChangeEvent,
  PROMOTION_PERMISSIONS,
  StackBusyError,
  clientRequestToken,
  handler,
} from '../../constructs/fine-tuning/handlers/promote-model';

const GROUP = 'LlmOpsFineTuning';
// SageMaker lower-cases the group name inside ARNs.
const ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/llmopsfinetuning/3';
const OTHER_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/llmopsfinetuning/2';
const PARAMETER = '/llmops/fine-tuning/approved-model-package';
const STACK = 'LlmOpsEndpointStack';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/LlmOpsEndpointStack/6a1e7c30-1b2c-11f0-9d3e-0a1b2c3d4e5f';
const ROLE = 'arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1';
const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'];

const ENV = { PARAMETER_NAME: PARAMETER, STACK_NAME: STACK, MODEL_PACKAGE_GROUP_NAME: GROUP };

function event(detail: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}): ModelPackageStateChangeEvent {
  return {
    source: 'aws.sagemaker',
    'detail-type': 'SageMaker Model Package State Change',
    detail: { ModelPackageGroupName: GROUP, ModelPackageArn: ARN, ModelPackageVersion: 3, ModelApprovalStatus: 'Approved', ...detail },
    ...envelope,
  };
}

function stack(overrides: Partial<Stack> = {}): Stack {
  return {
    StackName: STACK,
    StackId: STACK_ID,
    StackStatus: 'UPDATE_COMPLETE',
    CreationTime: new Date('2025-01-01T00:00:00Z'),
    RoleARN: ROLE,
    Parameters: [
      { ParameterKey: 'ModelPackageArn', ParameterValue: PARAMETER, ResolvedValue: OTHER_ARN },
      { ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version', ResolvedValue: '28' },
    ],
    ...overrides,
  };
}

function validationError(message: string): CloudFormationServiceException {
  return new CloudFormationServiceException({ name: 'ValidationError', $fault: 'client', message, $metadata: {} });
}

const sagemaker = mockClient(SageMakerClient);
const ssm = mockClient(SSMClient);
const cfn = mockClient(CloudFormationClient);
const saved: Record<string, string | undefined> = {};
let logs: string[];

/** The happy path: an Approved package of the group, a parameter holding the previous ARN, an idle stack. */
function world(): void {
  sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageArn: ARN, ModelPackageGroupName: GROUP, ModelPackageVersion: 3, ModelApprovalStatus: 'Approved' });
  ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: OTHER_ARN, Version: 6, Type: 'String' } });
  ssm.on(PutParameterCommand).resolves({ Version: 7, Tier: 'Standard' });
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack()] } as DescribeStacksCommandOutput);
  cfn.on(UpdateStackCommand).resolves({ StackId: STACK_ID });
}

function nothingWritten(): void {
  expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  expect(cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
}

/** The decisions logged, one JSON line each. */
function decisions(): string[] {
  return logs.map(line => (JSON.parse(line) as { decision: string }).decision);
}

beforeAll(() => {
  for (const [key, value] of Object.entries(ENV)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
});

afterAll(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

beforeEach(() => {
  sagemaker.reset();
  ssm.reset();
  cfn.reset();
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(line));
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('promoting an approved model package', () => {
  test('an approved package is written to the parameter and rolled out by a stack update with the previous template and parameters', async () => {
    world();

    const result = await handler(event());

    expect(result).toEqual({ action: 'promoted', modelPackageArn: ARN, parameterUpdated: true, stackId: STACK_ID });
    expect(sagemaker.commandCalls(DescribeModelPackageCommand).map(c => c.args[0].input)).toEqual([{ ModelPackageName: ARN }]);
    expect(ssm.commandCalls(GetParameterCommand).map(c => c.args[0].input)).toEqual([{ Name: PARAMETER }]);
    expect(ssm.commandCalls(PutParameterCommand).map(c => c.args[0].input)).toEqual([{ Name: PARAMETER, Value: ARN, Type: 'String', Overwrite: true }]);
    expect(cfn.commandCalls(DescribeStacksCommand).map(c => c.args[0].input)).toEqual([{ StackName: STACK }]);
    expect(cfn.commandCalls(UpdateStackCommand).map(c => c.args[0].input)).toEqual([{
      StackName: STACK,
      UsePreviousTemplate: true,
      Parameters: [
        { ParameterKey: 'ModelPackageArn', UsePreviousValue: true },
        { ParameterKey: 'BootstrapVersion', UsePreviousValue: true },
      ],
      Capabilities: CAPABILITIES,
      ClientRequestToken: clientRequestToken(ARN, 7),
    }]);
    expect(decisions()).toEqual(['parameter-updated', 'promoted']);
  });

  test('the only SageMaker call is DescribeModelPackage: the endpoint is never updated out of band', async () => {
    world();

    await handler(event());

    expect(sagemaker.calls().map(c => c.args[0].constructor.name)).toEqual(['DescribeModelPackageCommand']);
  });

  test('a missing parameter counts as empty and is created with the ARN', async () => {
    world();
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'Parameter not found', $metadata: {} }));
    ssm.on(PutParameterCommand).resolves({ Version: 1 });

    const result = await handler(event());

    expect(result).toEqual({ action: 'promoted', modelPackageArn: ARN, parameterUpdated: true, stackId: STACK_ID });
    expect(ssm.commandCalls(PutParameterCommand).map(c => c.args[0].input)).toEqual([{ Name: PARAMETER, Value: ARN, Type: 'String', Overwrite: true }]);
    expect(cfn.commandCalls(UpdateStackCommand)[0].args[0].input.ClientRequestToken).toBe(clientRequestToken(ARN, 1));
  });

  test('a parameter that already holds the ARN is not written again, but the stack update is still started', async () => {
    world();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: ARN, Version: 7 } });

    const result = await handler(event());

    expect(result).toEqual({ action: 'promoted', modelPackageArn: ARN, parameterUpdated: false, stackId: STACK_ID });
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(cfn.commandCalls(UpdateStackCommand)[0].args[0].input.ClientRequestToken).toBe(clientRequestToken(ARN, 7));
    expect(decisions()).toEqual(['parameter-current', 'promoted']);
  });

  test('a repeated event sends the same token and ends as already-current when CloudFormation has nothing to update', async () => {
    world();
    await handler(event());
    // The first delivery wrote version 7 and the update has finished.
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: ARN, Version: 7 } });
    cfn.on(UpdateStackCommand).rejects(validationError('No updates are to be performed.'));

    const result = await handler(event());

    expect(result).toEqual({ action: 'already-current', modelPackageArn: ARN, parameterUpdated: false, stackId: STACK_ID });
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(1);
    const tokens = cfn.commandCalls(UpdateStackCommand).map(c => c.args[0].input.ClientRequestToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toBe(tokens[0]);
    expect(decisions()).toEqual(['parameter-updated', 'promoted', 'parameter-current', 'already-current']);
  });

  test('a repeated event whose token CloudFormation already knows is already-current when the stack resolves to the package', async () => {
    world();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: ARN, Version: 7 } });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack({ Parameters: [{ ParameterKey: 'ModelPackageArn', ParameterValue: PARAMETER, ResolvedValue: ARN }] })] });
    cfn.on(UpdateStackCommand).rejects(new TokenAlreadyExistsException({ message: 'Token already exists', $metadata: {} }));

    const result = await handler(event());

    expect(result).toEqual({ action: 'already-current', modelPackageArn: ARN, parameterUpdated: false, stackId: STACK_ID });
  });

  test('a known token on a stack that does not resolve to the package fails instead of claiming success', async () => {
    world();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: ARN, Version: 7 } });
    cfn.on(UpdateStackCommand).rejects(new TokenAlreadyExistsException({ message: 'Token already exists', $metadata: {} }));

    await expect(handler(event())).rejects.toThrow(
      `updating stack ${STACK} (an update with token ${clientRequestToken(ARN, 7)} was already requested for ${ARN}, but the stack does not resolve to it: `
      + 'the earlier update may have failed and rolled back; deploy the stack to retry) failed: Token already exists',
    );
  });

  test('promoting a package again after another one gets a new token, so CloudFormation does not dedupe it', async () => {
    world();
    ssm.on(PutParameterCommand).resolves({ Version: 9 });

    await handler(event());

    const token = cfn.commandCalls(UpdateStackCommand)[0].args[0].input.ClientRequestToken;
    expect(token).toBe(clientRequestToken(ARN, 9));
    expect(token).not.toBe(clientRequestToken(ARN, 7));
  });
});

describe('events that are not promoted', () => {
  test('a rejected package that is not the promoted one writes nothing and starts no stack update', async () => {
    world();
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageArn: ARN, ModelPackageGroupName: GROUP, ModelPackageVersion: 3, ModelApprovalStatus: 'Rejected' });

    const result = await handler(event({ ModelApprovalStatus: 'Rejected' }));

    expect(result).toEqual({ action: 'ignored', reason: `the rejected package is not the promoted one (the parameter holds ${JSON.stringify(OTHER_ARN)})`, modelPackageArn: ARN });
    nothingWritten();
    expect(decisions()).toEqual(['ignored']);
  });

  test('rejecting the promoted package restores the newest earlier package that is still approved, and rolls it out', async () => {
    world();
    const older = ARN.replace(/\/3$/, '/1');
    const rejectedEarlier = ARN.replace(/\/3$/, '/2');
    sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: ARN }).resolves({ ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Rejected' });
    sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: rejectedEarlier }).resolves({ ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Rejected' });
    sagemaker.on(DescribeModelPackageCommand, { ModelPackageName: older }).resolves({ ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Approved' });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: ARN, Version: 4 } });
    ssm.on(GetParameterHistoryCommand).resolves({ Parameters: [
      { Value: 'none', Version: 1 }, { Value: older, Version: 2 }, { Value: rejectedEarlier, Version: 3 }, { Value: ARN, Version: 4 },
    ] });

    const result = await handler(event({ ModelApprovalStatus: 'Rejected' }));

    expect(result).toEqual({ action: 'reverted', modelPackageArn: older, parameterUpdated: true, stackId: STACK_ID });
    expect(ssm.commandCalls(PutParameterCommand).map(c => c.args[0].input.Value)).toEqual([older]);
    expect(cfn.commandCalls(UpdateStackCommand)).toHaveLength(1);
    expect(cfn.commandCalls(UpdateStackCommand)[0].args[0].input.UsePreviousTemplate).toBe(true);
  });

  test('rejecting the only promoted package restores the base model ("none")', async () => {
    world();
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Rejected' });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: ARN, Version: 2 } });
    ssm.on(GetParameterHistoryCommand).resolves({ Parameters: [{ Value: 'none', Version: 1 }, { Value: ARN, Version: 2 }] });

    const result = await handler(event({ ModelApprovalStatus: 'Rejected' }));

    expect(result).toMatchObject({ action: 'reverted', modelPackageArn: 'none' });
    expect(ssm.commandCalls(PutParameterCommand).map(c => c.args[0].input.Value)).toEqual(['none']);
  });

  test('a package pending manual approval is ignored', async () => {
    world();

    const result = await handler(event({ ModelApprovalStatus: 'PendingManualApproval' }));

    expect(result).toEqual({ action: 'ignored', reason: 'the package\'s approval status is "PendingManualApproval", not Approved (or Rejected, which reverts a promotion)', modelPackageArn: ARN });
    nothingWritten();
  });

  test('a package of another group is ignored', async () => {
    world();
    const other = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/another-group/1';

    const result = await handler(event({ ModelPackageGroupName: 'another-group', ModelPackageArn: other, ModelPackageVersion: 1 }));

    expect(result).toEqual({ action: 'ignored', reason: `the package belongs to group "another-group", not ${GROUP}`, modelPackageArn: other });
    nothingWritten();
    expect(sagemaker.commandCalls(DescribeModelPackageCommand)).toHaveLength(0);
  });

  test('an approval that SageMaker has since rejected is ignored (events can arrive out of order)', async () => {
    world();
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageArn: ARN, ModelPackageGroupName: GROUP, ModelApprovalStatus: 'Rejected' });

    const result = await handler(event());

    expect(result).toEqual({ action: 'ignored', reason: `SageMaker now says ${ARN} is "Rejected", not Approved (the event is stale)`, modelPackageArn: ARN });
    nothingWritten();
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
  });

  test('a package that SageMaker places in another group is ignored', async () => {
    world();
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelPackageArn: ARN, ModelPackageGroupName: 'someone-else', ModelApprovalStatus: 'Approved' });

    const result = await handler(event());

    expect(result).toEqual({ action: 'ignored', reason: `SageMaker says ${ARN} belongs to group "someone-else", not ${GROUP}`, modelPackageArn: ARN });
    nothingWritten();
  });

  test.each([
    ['an unversioned package ARN', 'arn:aws:sagemaker:us-east-1:123456789012:model-package/llmopsfinetuning'],
    ['a model package group ARN', 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/llmopsfinetuning'],
    ['an ARN of another service', 'arn:aws:s3:::llmopsfinetuning/3'],
    ['an account that is not 12 digits', 'arn:aws:sagemaker:us-east-1:1234:model-package/llmopsfinetuning/3'],
    ['version 0', 'arn:aws:sagemaker:us-east-1:123456789012:model-package/llmopsfinetuning/0'],
    ['something after the version', 'arn:aws:sagemaker:us-east-1:123456789012:model-package/llmopsfinetuning/3/extra'],
    ['not an ARN at all', 'llmopsfinetuning/3'],
  ])('%s is ignored with a reason that shows the expected shape', async (_case, arn) => {
    world();

    const result = await handler(event({ ModelPackageArn: arn }));

    expect(result).toEqual({
      action: 'ignored',
      reason: `ModelPackageArn ${JSON.stringify(arn)} is not a versioned model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)`,
      modelPackageArn: arn,
    });
    nothingWritten();
    expect(sagemaker.commandCalls(DescribeModelPackageCommand)).toHaveLength(0);
  });

  test('an ARN in the GovCloud partition is accepted', async () => {
    world();
    const gov = 'arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:model-package/llmopsfinetuning/3';

    const result = await handler(event({ ModelPackageArn: gov }));

    expect(result).toMatchObject({ action: 'promoted', modelPackageArn: gov });
  });

  test('an ARN whose group is not the event\'s group is ignored', async () => {
    world();
    const arn = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/another-group/3';

    const result = await handler(event({ ModelPackageArn: arn }));

    expect(result).toEqual({ action: 'ignored', reason: `ModelPackageArn ${arn} is in group another-group, not ${GROUP}`, modelPackageArn: arn });
    nothingWritten();
  });

  test('an event whose version disagrees with its ARN is ignored', async () => {
    world();

    const result = await handler(event({ ModelPackageVersion: 4 }));

    expect(result).toEqual({ action: 'ignored', reason: `ModelPackageVersion 4 does not match the version in ${ARN}`, modelPackageArn: ARN });
    nothingWritten();
  });

  test('an event that is not a model package state change is ignored', async () => {
    world();

    const result = await handler(event({}, { 'detail-type': 'SageMaker Training Job State Change' }));

    expect(result).toEqual({
      action: 'ignored',
      reason: 'not a "SageMaker Model Package State Change" event from aws.sagemaker (source "aws.sagemaker", detail-type "SageMaker Training Job State Change")',
    });
    nothingWritten();
  });
});

describe('when the stack cannot be updated now', () => {
  test('an update already in progress throws StackBusyError after the parameter was written', async () => {
    world();
    cfn.on(UpdateStackCommand).rejects(validationError(`Stack:${STACK_ID} is in UPDATE_IN_PROGRESS state and can not be updated.`));

    const error = await handler(event()).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(StackBusyError);
    expect((error as Error).name).toBe('StackBusyError');
    expect((error as Error).message).toBe(
      `stack ${STACK} is in UPDATE_IN_PROGRESS: the parameter ${PARAMETER} was updated to ${ARN}, but the stack update must be retried once the current `
      + 'operation ends (the asynchronous invocation retries it; the next deploy of the stack picks the package up anyway)',
    );
    expect(ssm.commandCalls(PutParameterCommand).map(c => c.args[0].input.Value)).toEqual([ARN]);
    expect(decisions()).toEqual(['parameter-updated', 'stack-busy']);
  });

  test('a stack whose status is in progress is not sent an update at all', async () => {
    world();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack({ StackStatus: 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS' })] });

    await expect(handler(event())).rejects.toThrow(new StackBusyError(
      `stack ${STACK} is in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: the parameter ${PARAMETER} was updated to ${ARN}, but the stack update must be retried `
      + 'once the current operation ends (the asynchronous invocation retries it; the next deploy of the stack picks the package up anyway)',
    ));
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(1);
    expect(cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
  });

  test('a repeated event while the update this package started is still rolling out is already-current, not a failure', async () => {
    world();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: ARN, Version: 7 } });
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack({ StackStatus: 'UPDATE_IN_PROGRESS' })] });

    const result = await handler(event());

    expect(result).toEqual({ action: 'already-current', modelPackageArn: ARN, parameterUpdated: false, stackId: STACK_ID });
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
  });

  test('a repeated event that meets an in-progress update on UpdateStack is already-current too', async () => {
    world();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAMETER, Value: ARN, Version: 7 } });
    cfn.on(UpdateStackCommand).rejects(validationError(`Stack:${STACK_ID} is in UPDATE_IN_PROGRESS state and can not be updated.`));

    const result = await handler(event());

    expect(result).toEqual({ action: 'already-current', modelPackageArn: ARN, parameterUpdated: false, stackId: STACK_ID });
  });

  test('any other UpdateStack failure propagates with the stack named', async () => {
    world();
    cfn.on(UpdateStackCommand).rejects(validationError(`Stack:${STACK_ID} is in UPDATE_ROLLBACK_FAILED state and can not be updated.`));

    const error = await handler(event()).catch((err: unknown) => err);

    expect(error).not.toBeInstanceOf(StackBusyError);
    expect((error as Error).message).toBe(`updating stack ${STACK} failed: Stack:${STACK_ID} is in UPDATE_ROLLBACK_FAILED state and can not be updated.`);
    expect((error as Error).name).toBe('ValidationError');
  });

  test('an access error on UpdateStack propagates with the stack named', async () => {
    world();
    cfn.on(UpdateStackCommand).rejects(validationError('AccessDenied. User doesn\'t have permission to call ssm:GetParameters'));

    await expect(handler(event())).rejects.toThrow(`updating stack ${STACK} failed: AccessDenied. User doesn't have permission to call ssm:GetParameters`);
  });

  test('a stack without a CloudFormation service role is refused before UpdateStack, after the parameter was written', async () => {
    world();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack({ RoleARN: undefined })] });

    await expect(handler(event())).rejects.toThrow(`stack ${STACK} has no CloudFormation service role, so an update would run with this function's permissions`);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(1);
    expect(cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
  });

  test('a stack that does not exist fails with the stack named', async () => {
    world();
    cfn.on(DescribeStacksCommand).rejects(validationError(`Stack with id ${STACK} does not exist`));

    await expect(handler(event())).rejects.toThrow(`describing stack ${STACK} failed: Stack with id ${STACK} does not exist`);
  });

  test('a parameter that cannot be read fails with the parameter named, before anything is written', async () => {
    world();
    ssm.on(GetParameterCommand).rejects(new Error('User is not authorized to perform: ssm:GetParameter'));

    await expect(handler(event())).rejects.toThrow(`reading parameter ${PARAMETER} failed: User is not authorized to perform: ssm:GetParameter`);
    nothingWritten();
  });
});

describe('configuration and contracts', () => {
  test('a missing environment variable fails before any call', async () => {
    world();
    const stackName = process.env.STACK_NAME;
    delete process.env.STACK_NAME;
    try {
      await expect(handler(event())).rejects.toThrow('environment variable STACK_NAME must be set');
    } finally {
      process.env.STACK_NAME = stackName;
    }
    expect(sagemaker.calls()).toHaveLength(0);
  });

  test('the client request token is deterministic, at most 128 characters and made of letters, digits and hyphens', () => {
    const longest = `arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:model-package/${'a'.repeat(63)}/9999999999`;

    for (const [arn, version] of [[ARN, 7], [ARN, undefined], [longest, 2_147_483_647]] as const) {
      const token = clientRequestToken(arn, version);
      expect(token).toMatch(/^[a-zA-Z0-9][-a-zA-Z0-9]*$/);
      expect(token.length).toBeLessThanOrEqual(128);
      expect(clientRequestToken(arn, version)).toBe(token);
    }
    expect(clientRequestToken(ARN, 7)).toMatch(/^promote-v3-p7-[0-9a-f]{40}$/);
    expect(clientRequestToken(OTHER_ARN, 7)).not.toBe(clientRequestToken(ARN, 7));
  });

  test('the documented permissions cover every call the handler makes, each scoped to one resource', () => {
    const actions = PROMOTION_PERMISSIONS.flatMap(p => p.actions);

    expect(actions).toEqual(expect.arrayContaining([
      'sagemaker:DescribeModelPackage',
      'ssm:GetParameter',
      'ssm:PutParameter',
      'ssm:GetParameters',
      'cloudformation:DescribeStacks',
      'cloudformation:UpdateStack',
      'iam:PassRole',
    ]));
    expect(actions).not.toContain('sagemaker:UpdateEndpoint');
    for (const permission of PROMOTION_PERMISSIONS) expect(permission.resource).not.toBe('*');
    expect(PROMOTION_PERMISSIONS.find(p => p.actions.includes('iam:PassRole'))?.conditions)
      .toEqual({ StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } });
  });
});
