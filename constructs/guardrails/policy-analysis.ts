// Pure helpers that read the IAM policies of a synthesized construct tree: which identity policies exist, what they
// allow, and whether two IAM action patterns overlap. Used by IamGuardrails to build the permissions boundary from
// the stack's own grants and to check the stack against it.
import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { renderResource } from './rules/support';
import { renderValue } from '../common/compliance';

/** One statement of a resolved IAM policy document. */
export interface ResolvedStatement {
  /** `Allow` or `Deny`. */
  readonly effect: 'Allow' | 'Deny';
  /** The statement's `Sid`, if any. */
  readonly sid?: string;
  /** `Action`, normalized to a list (empty when the statement uses `NotAction`). */
  readonly actions: string[];
  /** `NotAction`, normalized to a list. */
  readonly notActions: string[];
  /** `Resource`, normalized to a list of resolved values (strings or intrinsics). */
  readonly resources: unknown[];
  /** `Condition`, if any. */
  readonly condition?: Record<string, unknown>;
  /** The `AWS` principals of a resource policy statement, normalized to a list (empty in identity policies). */
  readonly awsPrincipals: unknown[];
}

/** An identity policy found in a stack: a managed policy, an inline policy, or a role's inline `Policies` entry. */
export interface IdentityPolicy {
  /** The construct that renders the policy (the CfnManagedPolicy, CfnPolicy or CfnRole). */
  readonly resource: CfnResource;
  /** The policy's resolved statements. */
  readonly statements: ResolvedStatement[];
}

/** The CloudFormation resource type of a role. */
export const ROLE_TYPE = 'AWS::IAM::Role';

/** Every CfnResource of `stack` itself, not of nested stacks or other stacks. */
export function stackResources(stack: Stack): CfnResource[] {
  return stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && Stack.of(c) === stack);
}

/**
 * The properties a resource renders, with property overrides applied (aws-cdk-lib's PermissionsBoundary, for one,
 * sets the boundary as an override), resolved.
 */
export function renderedProperties(resource: CfnResource): Record<string, any> {
  return renderResource(resource)?.properties ?? {};
}

/** The roles of `stack`: `AWS::IAM::Role` resources, L2-made or raw (custom resource providers make raw ones). */
export function stackRoles(stack: Stack): CfnResource[] {
  return stackResources(stack).filter(r => r.cfnResourceType === ROLE_TYPE);
}

/** The identity policies of `stack` (managed, inline, and roles' inline `Policies`), except those in `exclude`. */
export function identityPolicies(stack: Stack, exclude: ReadonlySet<IConstruct> = new Set()): IdentityPolicy[] {
  const found: IdentityPolicy[] = [];
  for (const resource of stackResources(stack)) {
    if (exclude.has(resource)) continue;
    const type = resource.cfnResourceType;
    if (type === iam.CfnManagedPolicy.CFN_RESOURCE_TYPE_NAME || type === iam.CfnPolicy.CFN_RESOURCE_TYPE_NAME) {
      found.push({ resource, statements: statementsOf(renderedProperties(resource).PolicyDocument) });
    } else if (type === ROLE_TYPE || type === iam.CfnUser.CFN_RESOURCE_TYPE_NAME || type === iam.CfnGroup.CFN_RESOURCE_TYPE_NAME) {
      const inline = (renderedProperties(resource).Policies ?? []) as Array<{ PolicyDocument?: unknown }>;
      if (inline.length > 0) found.push({ resource, statements: inline.flatMap(p => statementsOf(p.PolicyDocument)) });
    }
  }
  return found;
}

/** The resource types whose resource policies can grant to a role, and the property that holds the policy. */
const RESOURCE_POLICY_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::S3::BucketPolicy': 'PolicyDocument',
  'AWS::KMS::Key': 'KeyPolicy',
  'AWS::SNS::TopicPolicy': 'PolicyDocument',
  'AWS::SQS::QueuePolicy': 'PolicyDocument',
  'AWS::SecretsManager::ResourcePolicy': 'ResourcePolicy',
  'AWS::ECR::Repository': 'RepositoryPolicyText',
};

/**
 * The statements of the stack's resource policies (buckets, keys, topics, queues, secrets, repositories) that allow
 * a role of the stack, named by its ARN: a same-account grant through a resource policy is still capped by the
 * role's permissions boundary, so the boundary must allow those actions too.
 */
export function resourcePolicyGrants(stack: Stack): IdentityPolicy[] {
  const roleIds = new Set(stackRoles(stack).map(role => stack.resolve(role.logicalId) as string));
  const namesRole = (principal: unknown) => {
    const getAtt = (principal as { 'Fn::GetAtt'?: unknown[] } | undefined)?.['Fn::GetAtt'];
    return Array.isArray(getAtt) && getAtt[1] === 'Arn' && roleIds.has(getAtt[0] as string);
  };
  const found: IdentityPolicy[] = [];
  for (const resource of stackResources(stack)) {
    const property = RESOURCE_POLICY_PROPERTIES[resource.cfnResourceType];
    if (!property) continue;
    const statements = statementsOf(renderedProperties(resource)[property]).filter(s => s.effect === 'Allow' && s.awsPrincipals.some(namesRole));
    if (statements.length > 0) found.push({ resource, statements });
  }
  return found;
}

/** The statements of a resolved policy document, normalized. */
export function statementsOf(document: unknown): ResolvedStatement[] {
  const raw = (document as { Statement?: unknown } | undefined)?.Statement;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((s: Record<string, any>) => ({
    effect: s.Effect === 'Deny' ? 'Deny' : 'Allow',
    sid: s.Sid,
    actions: asList(s.Action).filter((a): a is string => typeof a === 'string'),
    notActions: asList(s.NotAction).filter((a): a is string => typeof a === 'string'),
    resources: asList(s.Resource),
    condition: s.Condition,
    awsPrincipals: asList(s.Principal?.AWS),
  }));
}

function asList(x: unknown): unknown[] {
  if (x === undefined) return [];
  return Array.isArray(x) ? x : [x];
}

/** Whether an IAM action pattern (`*` and `?` wildcards, case-insensitive) matches a literal action. */
export function actionMatches(pattern: string, action: string): boolean {
  return actionRegex(pattern).test(action);
}

/** The compiled regexes of the action patterns seen so far (a stack's grants and boundary repeat the same few). */
const ACTION_REGEXES = new Map<string, RegExp>();

/** The case-insensitive regex of an IAM action pattern, compiled once per pattern. */
function actionRegex(pattern: string): RegExp {
  let regex = ACTION_REGEXES.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^${pattern.split('').map(ch => ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('')}$`, 'i');
    ACTION_REGEXES.set(pattern, regex);
  }
  return regex;
}

/** Whether two action patterns can name a common action (`s3:Get*` and `s3:*Object` share `s3:GetObject`). */
export function actionsOverlap(a: string, b: string): boolean {
  return globsIntersect(a.toLowerCase(), b.toLowerCase());
}

/**
 * Whether a statement's resources can overlap with `resources`: `*` overlaps everything, two ARN patterns overlap
 * when some ARN matches both (an intrinsic inside an ARN counts as a wildcard), and two bare intrinsics overlap only
 * when equal.
 */
export function resourcesOverlap(left: unknown[], right: unknown[]): boolean {
  if (left.includes('*') || right.includes('*')) return true;
  return left.some(l => right.some(r => {
    const bare = (value: unknown) => typeof value === 'object' && value !== null && ('Ref' in value || 'Fn::GetAtt' in value);
    if (bare(l) && bare(r)) return JSON.stringify(l) === JSON.stringify(r);
    // An ARN built from intrinsics (`arn:<AWS::Partition>:kms:...`) may take any value where an intrinsic stands.
    const pattern = (value: unknown) => renderValue(value).replace(/<[^>]*>/g, '*');
    return globsIntersect(pattern(l), pattern(r));
  }));
}

/** Whether two glob patterns (`*` any run, `?` one character) match at least one common string. */
export function globsIntersect(a: string, b: string): boolean {
  const memo = new Map<number, boolean>();
  const from = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (a[i] === '*') result = from(i + 1, j) || (j < b.length && from(i, j + 1));
    else if (b[j] === '*') result = from(i, j + 1) || (i < a.length && from(i + 1, j));
    else if (i === a.length || j === b.length) result = false;
    else result = (a[i] === '?' || b[j] === '?' || a[i] === b[j]) && from(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return from(0, 0);
}
