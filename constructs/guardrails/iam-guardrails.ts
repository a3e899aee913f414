import { AspectPriority, Aspects, CfnResource, IAspect, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import {
  actionMatches, actionsOverlap, identityPolicies, IdentityPolicy, renderedProperties, resourcesOverlap, resourcePolicyGrants, ROLE_TYPE,
  stackRoles, statementsOf,
} from './policy-analysis';
import { hasLocalNvme, isIntrinsic, isLiteralTrue } from './rules/support';
import { trainingJobRequests } from './training-job-requests';
import { renderValue } from '../common/compliance';
import { PropValidator, show, ValidationProblem } from '../common/validation';
import { GPU_CATALOGUE } from '../inference/gpu-catalogue';
import { IAM_PRIVILEGE_ESCALATION_ACTIONS, KMS_KEY_DESTRUCTION_ACTIONS, SAGEMAKER_GUARDED_CREATE_ACTIONS } from '../permissions';

/** Props of {@link IamGuardrails}. */
export interface IamGuardrailsProps {
  /**
   * Your own permissions boundary instead of the one this construct builds. If it is a `ManagedPolicy` of this app,
   * its statements are checked against the stack's grants; an imported policy cannot be checked.
   * Cannot be combined with `requireVpc`, `requireNetworkIsolation`, `requireEncryption`, `protectedKeys` or
   * `deniedActions`, which shape the built boundary.
   * @default - a customer managed policy built at synth: it allows exactly the actions the stack's roles are granted
   * and denies privilege escalation, guarded SageMaker creates and destroying the stack's keys
   */
  readonly boundary?: iam.IManagedPolicy;
  /**
   * Deny SageMaker `CreateModel`, `CreateTrainingJob`, `CreateHyperParameterTuningJob` and `CreateProcessingJob`
   * requests without VPC subnets.
   * @default true
   */
  readonly requireVpc?: boolean;
  /**
   * Deny the same requests without network isolation. Turn off for a stack that trains from a Hugging Face Hub
   * model (the training script downloads it).
   * @default true
   */
  readonly requireNetworkIsolation?: boolean;
  /**
   * Deny training, tuning and processing jobs without inter-container traffic encryption; those and transform jobs
   * without an output KMS key; and those and endpoint configs without a volume KMS key unless every instance type
   * has local NVMe storage (where SageMaker rejects a volume key).
   * @default true
   */
  readonly requireEncryption?: boolean;
  /**
   * Keys that no role of the stack may schedule for deletion, disable, stop rotating, re-policy or re-alias.
   * @default - every KMS key of the account and region (the stack's keys included)
   */
  readonly protectedKeys?: kms.IKey[];
  /**
   * More actions to deny on every resource (e.g. `['s3:DeleteBucket']`).
   * @default - none
   */
  readonly deniedActions?: string[];
}

/** Sids of the statements of the built boundary, for tests and reviews. */
export enum BoundaryStatement {
  /** Allows exactly the actions the stack's roles are granted. */
  ALLOW_GRANTED_ACTIONS = 'AllowGrantedActions',
  /** Denies creating users, keys, roles and policies, attaching or changing policies and boundaries. */
  DENY_PRIVILEGE_ESCALATION = 'DenyPrivilegeEscalation',
  /** Denies deleting, disabling or re-policing keys (by default every key of the account and region). */
  DENY_KEY_DESTRUCTION = 'DenyKeyDestruction',
  /** Denies the caller's `deniedActions`. */
  DENY_ACTIONS = 'DenyActions',
  /** Denies SageMaker models, training, tuning and processing jobs without VPC subnets. */
  DENY_SAGEMAKER_OUTSIDE_VPC = 'DenySageMakerOutsideVpc',
  /** Denies SageMaker models, training, tuning and processing jobs with network isolation off. */
  DENY_SAGEMAKER_WITHOUT_ISOLATION = 'DenySageMakerWithoutNetworkIsolation',
  /** Denies SageMaker models and training jobs that do not say whether network isolation is on. */
  DENY_SAGEMAKER_ISOLATION_UNSET = 'DenySageMakerNetworkIsolationUnset',
  /** Denies training, tuning and processing jobs with inter-container traffic encryption off. */
  DENY_TRAINING_WITHOUT_INTER_CONTAINER_ENCRYPTION = 'DenyTrainingWithoutInterContainerEncryption',
  /** Denies training, tuning, processing and transform jobs without an output KMS key. */
  DENY_TRAINING_WITHOUT_OUTPUT_KEY = 'DenyTrainingWithoutOutputKey',
  /** Denies jobs and endpoint configs without a volume KMS key on instance types that accept one. */
  DENY_WITHOUT_VOLUME_KEY = 'DenyWithoutVolumeKey',
}

/** Which SageMaker guards a boundary (or an SCP) enforces. */
export interface SageMakerGuardOptions {
  /** Deny models and training jobs without VPC subnets. */
  readonly requireVpc: boolean;
  /** Deny models and training jobs without network isolation. */
  readonly requireNetworkIsolation: boolean;
  /** Deny training jobs without inter-container encryption or output key; jobs and endpoint configs without a volume key. */
  readonly requireEncryption: boolean;
}

/** The IAM problems the guardrails report; the codes are stable. */
export enum GuardrailCode {
  /** A statement allows every action (`*`), every action of a service (`s3:*`) or uses `NotAction`. */
  WILDCARD_ACTION = 'LLMOPS_IAM_WILDCARD_ACTION',
  /** An AWS managed policy is attached to a role of the stack. */
  AWS_MANAGED_POLICY = 'LLMOPS_IAM_AWS_MANAGED_POLICY',
  /** A role of the stack has no permissions boundary, or another one. */
  ROLE_WITHOUT_BOUNDARY = 'LLMOPS_IAM_ROLE_WITHOUT_BOUNDARY',
  /** The boundary would deny an action that a role of the stack is granted. */
  BOUNDARY_DENIES_GRANT = 'LLMOPS_BOUNDARY_DENIES_GRANT',
  /** The boundary does not allow an action that a role of the stack is granted. */
  BOUNDARY_MISSES_GRANT = 'LLMOPS_BOUNDARY_MISSES_GRANT',
  /** The boundary would deny a SageMaker request the stack itself makes (a training job of a state machine). */
  BOUNDARY_DENIES_REQUEST = 'LLMOPS_BOUNDARY_DENIES_REQUEST',
  /** The built boundary is over IAM's 6,144-character limit for a managed policy. */
  BOUNDARY_TOO_LARGE = 'LLMOPS_BOUNDARY_TOO_LARGE',
  /** Props that shape the built boundary were given with `boundary`. */
  BOUNDARY_PROPS_CONFLICT = 'LLMOPS_BOUNDARY_PROPS_CONFLICT',
  /** A denied action is not an IAM action pattern. */
  DENIED_ACTION = 'LLMOPS_BOUNDARY_DENIED_ACTION',
}

/** IAM's limit on a managed policy document, in characters without whitespace. */
const MANAGED_POLICY_MAX_CHARS = 6144;

/**
 * Least privilege, enforced: a permissions boundary on every role of the stack, and synth-time checks that fail on
 * wildcard actions, AWS managed policies, roles without the boundary, and a boundary that would deny what the stack
 * itself needs.
 *
 * The built boundary (a customer managed policy) allows exactly the actions the stack's roles are granted — on
 * `*`, since the roles' own policies scope the resources — and denies privilege escalation (creating users, roles,
 * access keys and policies; attaching, putting or detaching policies; changing boundaries or trust), SageMaker models
 * and training jobs without the VPC, network-isolation and KMS condition keys, and deleting, disabling or
 * re-policing the stack's keys.
 *
 * A boundary caps the calling role. SageMaker resources that CloudFormation creates (the endpoint's model and
 * endpoint config) are created by the deploying role: put {@link IamGuardrails.sageMakerDenyStatements} in an SCP
 * or in that role's boundary to guard them too.
 *
 * @example
 * new IamGuardrails(stack, 'Guardrails');
 */
export class IamGuardrails extends Construct {
  /**
   * The SageMaker deny statements of the built boundary, for a service control policy or another boundary.
   * The deny-on-missing-key (`Null`) semantics follow the IAM documentation; they are not verified against AWS here.
   */
  public static sageMakerDenyStatements(options: SageMakerGuardOptions): iam.PolicyStatement[] {
    const deny = (sid: string, actions: string[], conditions: Record<string, unknown>) =>
      new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, actions, resources: ['*'], conditions });
    const { model, endpointConfig, trainingJob, tuningJob, processingJob, transformJob } = SAGEMAKER_GUARDED_CREATE_ACTIONS;
    // Which create calls carry each condition key (Service Authorization Reference; shared/reference/security.md §4.3).
    const jobs = [trainingJob, tuningJob, processingJob];
    const statements: iam.PolicyStatement[] = [];
    if (options.requireVpc) {
      statements.push(deny(BoundaryStatement.DENY_SAGEMAKER_OUTSIDE_VPC, [model, ...jobs], { Null: { 'sagemaker:VpcSubnets': 'true' } }));
    }
    if (options.requireNetworkIsolation) {
      statements.push(
        deny(BoundaryStatement.DENY_SAGEMAKER_WITHOUT_ISOLATION, [model, ...jobs], { Bool: { 'sagemaker:NetworkIsolation': 'false' } }),
        deny(BoundaryStatement.DENY_SAGEMAKER_ISOLATION_UNSET, [model, ...jobs], { Null: { 'sagemaker:NetworkIsolation': 'true' } }),
      );
    }
    if (options.requireEncryption) {
      statements.push(
        deny(BoundaryStatement.DENY_TRAINING_WITHOUT_INTER_CONTAINER_ENCRYPTION, jobs, {
          Bool: { 'sagemaker:InterContainerTrafficEncryption': 'false' },
        }),
        deny(`${BoundaryStatement.DENY_TRAINING_WITHOUT_INTER_CONTAINER_ENCRYPTION}Unset`, jobs, {
          Null: { 'sagemaker:InterContainerTrafficEncryption': 'true' },
        }),
        deny(BoundaryStatement.DENY_TRAINING_WITHOUT_OUTPUT_KEY, [...jobs, transformJob], { Null: { 'sagemaker:OutputKmsKeyArn': 'true' } }),
        // Instance types with local NVMe storage take no volume key (SageMaker rejects one), so they are exempt.
        deny(BoundaryStatement.DENY_WITHOUT_VOLUME_KEY, [...jobs, transformJob, endpointConfig], {
          'Null': { 'sagemaker:VolumeKmsKeyArn': 'true' },
          'ForAnyValue:StringNotLike': { 'sagemaker:InstanceTypes': nvmeInstanceFamilies() },
        }),
      );
    }
    return statements;
  }

  /** The permissions boundary applied to every role of the stack. */
  public readonly boundary: iam.IManagedPolicy;
  /** The boundary this construct built, unless `boundary` was given. */
  public readonly boundaryPolicy?: iam.ManagedPolicy;
  private readonly props: IamGuardrailsProps;
  private readonly stack: Stack;

  constructor(scope: Construct, id: string, props: IamGuardrailsProps = {}) {
    super(scope, id);
    this.props = props;
    this.stack = Stack.of(this);
    const v = new PropValidator('IamGuardrails', this);
    if (props.boundary) {
      for (const key of ['requireVpc', 'requireNetworkIsolation', 'requireEncryption', 'protectedKeys', 'deniedActions'] as const) {
        v.check(props[key] === undefined, GuardrailCode.BOUNDARY_PROPS_CONFLICT, key, describeProp(props[key]),
          'shapes the boundary this construct builds; with your own `boundary`, put the statement in it instead');
      }
    }
    (props.deniedActions ?? []).forEach((action, i) => {
      v.check(Token.isUnresolved(action) || /^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$/.test(action), GuardrailCode.DENIED_ACTION, `deniedActions[${i}]`, action,
        "is not an IAM action; allowed: '<service>:<action>' with optional * and ? wildcards, e.g. 's3:DeleteBucket'");
    });
    v.throwIfInvalid();

    if (props.boundary) {
      this.boundary = props.boundary;
    } else {
      this.boundaryPolicy = new iam.ManagedPolicy(this, 'Boundary', {
        description: `Permissions boundary of every role of ${this.stack.stackName} (cdk-llmops IamGuardrails)`,
      });
      this.boundary = this.boundaryPolicy;
      // The statements depend on every grant of the stack, so they are written once construction is over.
      Aspects.of(this).add(new BoundaryStatements(this, this.boundaryPolicy));
    }
    // The stack's own roles only: a nested stack's grants are not read here, so it takes its own IamGuardrails.
    Aspects.of(this.stack).add(new ApplyBoundary(this.stack, this.boundary), { priority: AspectPriority.MUTATING });
    this.node.addValidation({ validate: () => this.check().map(p => `${p.prop} ${p.value} ${p.allowed} [${p.code}]`) });
  }

  /** The statements of the built boundary, from the stack's grants as they are now. @internal */
  public _renderStatements(policy: iam.ManagedPolicy): iam.PolicyStatement[] {
    const granted = new Set<string>();
    for (const p of [...identityPolicies(this.stack, this.boundaryResources()), ...resourcePolicyGrants(this.stack)]) {
      for (const s of p.statements) if (s.effect === 'Allow') s.actions.forEach(a => granted.add(a));
    }
    const statements: iam.PolicyStatement[] = [];
    if (granted.size > 0) {
      statements.push(new iam.PolicyStatement({ sid: BoundaryStatement.ALLOW_GRANTED_ACTIONS, actions: [...granted].sort(), resources: ['*'] }));
    }
    statements.push(new iam.PolicyStatement({
      sid: BoundaryStatement.DENY_PRIVILEGE_ESCALATION, effect: iam.Effect.DENY, actions: IAM_PRIVILEGE_ESCALATION_ACTIONS, resources: ['*'],
    }));
    // By default every key of the account and region: naming the stack's keys would make the boundary depend on
    // them, and a key policy that names a role of the stack would then close a dependency cycle.
    const keyArns = this.props.protectedKeys
      ? this.props.protectedKeys.map(k => k.keyArn)
      : [this.stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })];
    if (keyArns.length > 0) {
      statements.push(new iam.PolicyStatement({
        sid: BoundaryStatement.DENY_KEY_DESTRUCTION, effect: iam.Effect.DENY, actions: KMS_KEY_DESTRUCTION_ACTIONS, resources: keyArns,
      }));
    }
    if (this.props.deniedActions?.length) {
      statements.push(new iam.PolicyStatement({ sid: BoundaryStatement.DENY_ACTIONS, effect: iam.Effect.DENY, actions: this.props.deniedActions, resources: ['*'] }));
    }
    statements.push(...IamGuardrails.sageMakerDenyStatements(this.guardOptions()));

    // A boundary grants nothing: `*` resources and the grants' own action wildcards only cap what the roles' policies allow.
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'a permissions boundary grants nothing; it caps each role at the actions that role\'s own policies grant, on the resources they name',
    });
    for (const action of [...granted].filter(a => a.includes('*'))) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `copied from a grant of a role of this stack, where the wildcard is scoped to its resources; a boundary grants nothing`,
      });
    }
    return statements;
  }

  private guardOptions(): SageMakerGuardOptions {
    return {
      requireVpc: this.props.requireVpc ?? true,
      requireNetworkIsolation: this.props.requireNetworkIsolation ?? true,
      requireEncryption: this.props.requireEncryption ?? true,
    };
  }

  /** Every problem of the stack against the guardrails; an empty list when it complies. */
  private check(): ValidationProblem[] {
    const problems: ValidationProblem[] = [];
    const fail = (code: string, prop: string, value: unknown, allowed: string) => problems.push({ code, prop, value: show(value), allowed });
    const policies = identityPolicies(this.stack, this.boundaryResources());

    // 1. No statement allows every action, every action of a service, or everything but some actions.
    for (const p of policies) {
      for (const s of p.statements.filter(st => st.effect === 'Allow')) {
        for (const action of s.actions.filter(a => a === '*' || /^[^:]+:\*$/.test(a))) {
          fail(GuardrailCode.WILDCARD_ACTION, `${p.resource.node.path} Action`, action,
            'allows every action; grant the actions the role needs (see constructs/permissions.ts and the grant methods)');
        }
        if (s.notActions.length > 0) {
          fail(GuardrailCode.WILDCARD_ACTION, `${p.resource.node.path} NotAction`, s.notActions,
            'allows every action but these; grant the actions the role needs instead');
        }
      }
    }

    // 2. No AWS managed policy on a role, and 3. every role carries the boundary.
    const boundaryArn = JSON.stringify(this.stack.resolve(this.boundary.managedPolicyArn));
    for (const role of stackRoles(this.stack)) {
      const props = renderedProperties(role);
      for (const arn of (props.ManagedPolicyArns ?? []) as unknown[]) {
        const text = renderValue(arn);
        if (/:iam::aws:policy\//.test(text)) {
          fail(GuardrailCode.AWS_MANAGED_POLICY, `${role.node.path} ManagedPolicyArns`, text,
            'is an AWS managed policy; grant what the role needs with a customer managed policy (LeastPrivilegeRole does this)');
        }
      }
      if (props.PermissionsBoundary === undefined || JSON.stringify(props.PermissionsBoundary) !== boundaryArn) {
        fail(GuardrailCode.ROLE_WITHOUT_BOUNDARY, `${role.node.path} PermissionsBoundary`, renderValue(props.PermissionsBoundary) || undefined,
          `must be the guardrails boundary ${renderValue(JSON.parse(boundaryArn))}; do not clear or replace it under ${this.stack.node.path}`);
      }
    }

    // Roles of nested stacks are not covered by this boundary: each nested stack takes its own IamGuardrails.
    for (const role of this.stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === ROLE_TYPE
      && Stack.of(c) !== this.stack && Stack.of(c).nestedStackParent !== undefined)) {
      if (renderedProperties(role).PermissionsBoundary === undefined) {
        fail(GuardrailCode.ROLE_WITHOUT_BOUNDARY, `${role.node.path} PermissionsBoundary`, undefined,
          `is missing: the role is in nested stack ${Stack.of(role).node.path}, which this boundary does not cover; add an IamGuardrails to that nested stack`);
      }
    }

    // 4. The boundary denies nothing the stack's roles are granted, and allows everything they are granted.
    const boundary = this.resolvedBoundary();
    if (boundary) {
      const boundaryStatements = statementsOf(boundary.document);
      const unconditionalDenies = boundaryStatements.filter(s => s.effect === 'Deny' && !s.condition);
      const allows = boundaryStatements.filter(s => s.effect === 'Allow' && !s.condition);
      // Every pattern matches itself, so a grant the boundary names verbatim (all of them, for the built one) is allowed
      // without a regex.
      const allowedVerbatim = new Set(allows.flatMap(a => a.actions));
      const allowed = (action: string) => allowedVerbatim.has(action) || allows.some(a => a.actions.some(pattern => actionMatches(pattern, action))
        || (a.notActions.length > 0 && !a.notActions.some(pattern => actionsOverlap(pattern, action))));
      for (const p of policies) {
        for (const s of p.statements.filter(st => st.effect === 'Allow')) {
          for (const action of s.actions) {
            const deny = unconditionalDenies.find(d => d.actions.some(a => actionsOverlap(a, action)) && resourcesOverlap(d.resources, s.resources));
            if (deny) {
              fail(GuardrailCode.BOUNDARY_DENIES_GRANT, `${p.resource.node.path} Action`, action,
                `is granted on ${renderValue(s.resources)} but the boundary denies it (statement ${deny.sid ?? 'without a Sid'}); remove the grant, or the deny from the boundary`);
            } else if (!allowed(action)) {
              fail(GuardrailCode.BOUNDARY_MISSES_GRANT, `${p.resource.node.path} Action`, action,
                'is granted but the boundary does not allow it, so the role could never use it; allow it in the boundary');
            }
          }
        }
      }
    }

    // 5. The SageMaker guards do not deny the stack's own training jobs.
    if (this.boundaryPolicy) this.checkTrainingJobs(policies, fail);

    // 6. The built boundary fits in a managed policy.
    if (boundary?.built) {
      const size = deployedSize(boundary.document);
      if (size > MANAGED_POLICY_MAX_CHARS) {
        fail(GuardrailCode.BOUNDARY_TOO_LARGE, 'boundary', `${size} characters`,
          `is over IAM's ${MANAGED_POLICY_MAX_CHARS}-character limit for a managed policy; pass your own \`boundary\` (e.g. allowing by service)`);
      }
    }
    return problems;
  }

  /** The boundary's own resource, when it is a policy of this stack: it caps the grants, it is not one. */
  private boundaryResources(): Set<IConstruct> {
    const policy = this.boundaryPolicy ?? (this.boundary instanceof iam.ManagedPolicy ? this.boundary : undefined);
    return new Set(policy ? [policy.node.defaultChild as IConstruct] : []);
  }

  /**
   * The resolved document of the boundary, and whether this construct built it, when it is a policy of this app;
   * undefined for an imported one.
   */
  private resolvedBoundary(): { readonly document: unknown; readonly built: boolean } | undefined {
    if (this.boundaryPolicy) return { document: this.stack.resolve(this.boundaryPolicy.document), built: true };
    if (this.boundary instanceof iam.ManagedPolicy) return { document: Stack.of(this.boundary).resolve(this.boundary.document), built: false };
    return undefined;
  }

  /** Checks the stack's training jobs against the built boundary's SageMaker guards; `policies` are the stack's identity policies. */
  private checkTrainingJobs(policies: IdentityPolicy[], fail: (code: string, prop: string, value: unknown, allowed: string) => void): void {
    const guards = this.guardOptions();
    const createsJobs = policies.some(p => p.statements.some(s => s.effect === 'Allow'
      && s.actions.some(a => actionMatches(a, SAGEMAKER_GUARDED_CREATE_ACTIONS.trainingJob))));
    if (!createsJobs) return;
    for (const job of trainingJobRequests(this.stack)) {
      const at = `${job.stateMachinePath} state ${job.stateName}`;
      const needs = (ok: boolean, key: string, value: unknown, guard: string) => {
        if (!ok) {
          fail(GuardrailCode.BOUNDARY_DENIES_REQUEST, `${at} ${key}`, value,
            `would be denied by the boundary (${guard}); set it in the training job, or turn the guard off with IamGuardrails props`);
        }
      };
      if (guards.requireVpc) needs(job.vpc, 'VpcConfig', undefined, 'requireVpc');
      if (guards.requireNetworkIsolation) needs(isLiteralTrue(job.networkIsolation), 'EnableNetworkIsolation', job.networkIsolation, 'requireNetworkIsolation');
      if (guards.requireEncryption) {
        needs(isLiteralTrue(job.interContainerEncryption), 'EnableInterContainerTrafficEncryption', job.interContainerEncryption, 'requireEncryption');
        needs(job.outputKmsKey, 'OutputDataConfig.KmsKeyId', undefined, 'requireEncryption');
        needs(job.volumeKmsKey || (job.instanceType !== undefined && hasLocalNvme(job.instanceType)), 'ResourceConfig.VolumeKmsKeyId', undefined,
          `requireEncryption; ${job.instanceType ?? 'the instance type'} has no local NVMe storage, so it takes a volume key`);
      }
    }
  }
}

/** Sets the boundary on every role of one stack (not of its nested stacks). */
class ApplyBoundary implements IAspect {
  constructor(private readonly stack: Stack, private readonly boundary: iam.IManagedPolicy) {}

  public visit(node: IConstruct): void {
    if (CfnResource.isCfnResource(node) && node.cfnResourceType === ROLE_TYPE && Stack.of(node) === this.stack) {
      node.addPropertyOverride('PermissionsBoundary', this.boundary.managedPolicyArn);
    }
  }
}

/** Writes the built boundary's statements once construction is over (in the prepare phase, before validation). */
class BoundaryStatements implements IAspect {
  private done = false;
  constructor(private readonly guardrails: IamGuardrails, private readonly policy: iam.ManagedPolicy) {}

  public visit(node: IConstruct): void {
    if (this.done || node !== this.guardrails) return;
    this.done = true;
    this.policy.addStatements(...this.guardrails._renderStatements(this.policy));
  }
}

/**
 * The characters of a resolved policy document as IAM counts them (no whitespace), each intrinsic counted as the
 * longest value it can take here: an ARN of up to {@link INTRINSIC_MAX_CHARS} characters.
 */
function deployedSize(document: unknown): number {
  const flatten = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(flatten);
    if (isIntrinsic(value)) return 'x'.repeat(INTRINSIC_MAX_CHARS);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, flatten(v)]));
    return value;
  };
  return JSON.stringify(flatten(document)).length;
}

/** How long a value behind an intrinsic may be: a KMS key ARN in the longest partition and region names. */
const INTRINSIC_MAX_CHARS = 100;

/** A prop value for a message: keys by their construct path, lists item by item. */
function describeProp(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(describeProp);
  if (value && typeof value === 'object' && 'keyArn' in value) return (value as kms.IKey).node.path;
  return value;
}

/**
 * Instance types with local NVMe storage (SageMaker rejects a volume KMS key for them), as `ml.<family>.*` patterns
 * where every catalogued size of the family has it, else by name.
 */
export function nvmeInstanceFamilies(): string[] {
  const family = (name: string) => name.slice(0, name.lastIndexOf('.'));
  const byFamily = new Map<string, boolean[]>();
  for (const [name, spec] of GPU_CATALOGUE) byFamily.set(family(name), [...byFamily.get(family(name)) ?? [], spec.localNvme]);
  const patterns = new Set<string>();
  for (const [name, spec] of GPU_CATALOGUE) {
    if (!spec.localNvme) continue;
    patterns.add(byFamily.get(family(name))!.every(Boolean) ? `${family(name)}.*` : name);
  }
  return [...patterns].sort();
}
