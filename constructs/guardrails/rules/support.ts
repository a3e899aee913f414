// What the LlmOps rules share: how a rule reads a resource, how it treats CloudFormation intrinsics, which instance
// types have local NVMe storage, and when a resource belongs to a production environment.
//
// Reading a resource. A rule reads the resource as CloudFormation will receive it: `_toCloudFormation()` (public in
// aws-cdk-lib's typings, though documented as internal) resolved by its stack, so typed L1s (CfnModel), plain CfnResources (the `AWS::IAM::Role` of a custom resource provider),
// property overrides (what `PermissionsBoundary.of(scope).apply()` adds) and Lazy values all look alike: PascalCase
// properties with intrinsics as `{ Ref }`, `{ 'Fn::GetAtt' }`, `{ 'Fn::If' }`, ...
//
// Intrinsics, decided conservatively:
// - `Fn::If` may take either branch: a property is set only when it is set in both, and a resource passes only when
//   every branch passes. `{ Ref: 'AWS::NoValue' }` is unset.
// - Where a rule needs a value to exist (a KMS key, subnets, a permissions boundary, alarms), any other intrinsic
//   (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::ImportValue`, ...) counts as set: it names a value that exists at deploy time.
// - Where a rule needs a particular value (a boolean that must be true, an instance type, a policy document), an
//   intrinsic cannot be evaluated and the resource is reported; acknowledge the finding if the value is right.
// - JSON held in a string (a state machine definition, an OpenSearch Serverless policy) is often an `Fn::Join` of
//   text and intrinsics: each intrinsic becomes a placeholder string (`${LogicalId}`, `${LogicalId.Attribute}`),
//   quoted when it stands outside a JSON string, and the text is then parsed.
import { CfnResource, Stack, TagManager, Token } from 'aws-cdk-lib';
import type { NagRuleCompliance as NagCompliance, NagRuleResult } from 'cdk-nag';
import { GPU_CATALOGUE } from '../../inference/gpu-catalogue';

/**
 * cdk-nag's `NagRuleCompliance` values, defined here so that the rules (and IamGuardrails, which shares their
 * helpers) do not load cdk-nag: importing the library stays cheap. A test checks them against cdk-nag's enum.
 */
export const NagRuleCompliance = {
  COMPLIANT: 'Compliant' as NagCompliance.COMPLIANT,
  NON_COMPLIANT: 'Non-Compliant' as NagCompliance.NON_COMPLIANT,
  NOT_APPLICABLE: 'N/A' as NagCompliance.NOT_APPLICABLE,
} as const;

/** A cdk-nag rule: compliant, non-compliant, not applicable, or a list of named findings. */
export type NagRuleFunction = (node: CfnResource) => NagRuleResult;

/** A CloudFormation resource as it will be deployed, intrinsics resolved to their template form. */
export interface RenderedResource {
  /** The resource type, e.g. `AWS::SageMaker::Model`. */
  readonly type: string;
  /** `Properties`, with property overrides applied; empty when there are none. */
  readonly properties: Record<string, unknown>;
  /** `DeletionPolicy`, when set. */
  readonly deletionPolicy?: unknown;
}

/**
 * A rule named `name` (the finding id is `<pack>-<name>`, stable however the code is bundled) that applies to
 * resources of `types` only: others, and resources that are not synthesized, are not applicable.
 */
export function resourceRule(name: string, types: readonly string[], check: (resource: RenderedResource, node: CfnResource) => NagRuleResult): NagRuleFunction {
  const rule = (node: CfnResource): NagRuleResult => {
    if (!types.includes(node.cfnResourceType)) return NagRuleCompliance.NOT_APPLICABLE;
    const resource = renderResource(node);
    return resource ? check(resource, node) : NagRuleCompliance.NOT_APPLICABLE;
  };
  return Object.defineProperty(rule, 'name', { value: name });
}

/** The resource as CloudFormation will receive it; undefined when it is not synthesized. */
export function renderResource(node: CfnResource): RenderedResource | undefined {
  const template = Stack.of(node).resolve(node._toCloudFormation()) as { Resources?: Record<string, unknown> };
  const [rendered] = Object.values(template.Resources ?? {});
  const resource = asRecord(rendered);
  if (!resource) return undefined;
  return { type: String(resource.Type), properties: asRecord(resource.Properties) ?? {}, deletionPolicy: resource.DeletionPolicy };
}

/** The outcome of a check. */
export function compliance(compliant: boolean): NagCompliance {
  return compliant ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

// ---- Intrinsics -----------------------------------------------------------------------------------------------

/** Whether `value` is a CloudFormation intrinsic: an object with one key, `Ref` or `Fn::*`. */
export function isIntrinsic(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/** `value` as a plain object (not an array, not an intrinsic), or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isIntrinsic(value)) return undefined;
  return value as Record<string, unknown>;
}

/** The values `value` may take: both branches of each `Fn::If`, recursively; otherwise `value` itself. */
export function alternatives(value: unknown): unknown[] {
  const condition = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['Fn::If'] : undefined;
  if (isIntrinsic(value) && Array.isArray(condition) && condition.length === 3) {
    return [...alternatives(condition[1]), ...alternatives(condition[2])];
  }
  return [value];
}

/** Whether one alternative holds a value: not absent, `AWS::NoValue`, an empty string or an empty list. */
function holdsValue(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return (value as Record<string, unknown>).Ref !== 'AWS::NoValue';
}

/** Whether `value` is set whichever branch its conditions take. */
export function isSet(value: unknown): boolean {
  return alternatives(value).every(holdsValue);
}

/** Whether `value` is set in at least one branch of its conditions. */
export function mayBeSet(value: unknown): boolean {
  return alternatives(value).some(holdsValue);
}

/** Whether `value` is `true` whichever branch its conditions take (CloudFormation also accepts the string `"true"`). */
export function isTrue(value: unknown): boolean {
  return alternatives(value).every(v => v === true || v === 'true');
}

/** The items of a list property, with each branch of its conditions; `undefined` marks a list that cannot be read. */
export function listItems(value: unknown): unknown[] {
  return alternatives(value).filter(holdsValue).flatMap(list => Array.isArray(list) ? list.flatMap(alternatives) : [undefined]);
}

/** `true` as a state machine field: the literal, or the JSONata expression `{% true %}`. */
export function isLiteralTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && /^\{%\s*true\s*%\}$/.test(value));
}

// ---- JSON held in a string ------------------------------------------------------------------------------------

/** A string property parsed as JSON, or why it could not be. */
export type ParsedJson = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

type Segment = { readonly text: string } | { readonly token: string };

/**
 * Parses a string property holding JSON: a literal string or an `Fn::Join` of strings and intrinsics. Each intrinsic
 * becomes a placeholder string; `${name}` variables of `substitutions` (a state machine's DefinitionSubstitutions)
 * are replaced first by their value, rendered the same way.
 */
export function parseJsonWithTokens(value: unknown, substitutions: Record<string, unknown> = {}): ParsedJson {
  const segments = toSegments(value);
  if (!segments) return { ok: false, reason: `the JSON is an unsupported intrinsic (${Object.keys(value as object).join()})` };
  let text = '';
  let inString = false;
  let escaped = false;
  for (const segment of segments.flatMap(s => 'text' in s ? substitute(s.text, substitutions) : [s])) {
    if ('token' in segment) {
      text += inString ? segment.token : JSON.stringify(segment.token);
      continue;
    }
    for (const c of segment.text) {
      if (escaped) escaped = false;
      else if (c === '\\' && inString) escaped = true;
      else if (c === '"') inString = !inString;
    }
    text += segment.text;
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, reason: `the JSON does not parse: ${(e as Error).message}` };
  }
}

/** The text of a string property, intrinsics as placeholders (e.g. a Task state's `Resource`). */
export function textWithPlaceholders(value: unknown): string {
  return (toSegments(value) ?? [{ token: placeholder(value) }]).map(s => 'text' in s ? s.text : s.token).join('');
}

function toSegments(value: unknown): Segment[] | undefined {
  if (typeof value === 'string') return [{ text: value }];
  if (typeof value === 'number' || typeof value === 'boolean') return [{ text: String(value) }];
  const join = isIntrinsic(value) ? (value as Record<string, unknown>)['Fn::Join'] : undefined;
  if (!Array.isArray(join) || typeof join[0] !== 'string' || !Array.isArray(join[1])) return undefined;
  const [separator, parts] = join as [string, unknown[]];
  return parts.flatMap((part, i) => [
    ...(i > 0 && separator ? [{ text: separator }] : []),
    ...(toSegments(part) ?? [{ token: placeholder(part) }]),
  ]);
}

/** `${LogicalId}` for a Ref, `${LogicalId.Attribute}` for an Fn::GetAtt, `${Fn::Name}` for any other intrinsic. */
function placeholder(value: unknown): string {
  const o = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof o.Ref === 'string') return `\${${o.Ref}}`;
  if (Array.isArray(o['Fn::GetAtt'])) return `\${${o['Fn::GetAtt'].join('.')}}`;
  return `\${${Object.keys(o)[0] ?? 'value'}}`;
}

function substitute(text: string, substitutions: Record<string, unknown>): Segment[] {
  const names = Object.keys(substitutions);
  if (names.length === 0) return [{ text }];
  const segments: Segment[] = [];
  let rest = text;
  for (let match = /\$\{([^}]+)\}/.exec(rest); match; match = /\$\{([^}]+)\}/.exec(rest)) {
    const name = match[1];
    const value = substitutions[name];
    segments.push({ text: rest.slice(0, match.index) });
    if (!names.includes(name)) segments.push({ text: match[0] });
    else segments.push(...toSegments(value) ?? [{ token: placeholder(value) }]);
    rest = rest.slice(match.index + match[0].length);
  }
  segments.push({ text: rest });
  return segments;
}

// ---- Instance types -------------------------------------------------------------------------------------------

/**
 * Whether `instanceType` is a literal type that the GPU catalogue lists with local NVMe instance storage, where
 * SageMaker rejects a volume KMS key. Instance types the catalogue does not list (CPU types, ml.trn1.*) and tokens
 * are taken to need a key.
 */
export function hasLocalNvme(instanceType: unknown): boolean {
  return alternatives(instanceType).every(t => typeof t === 'string' && GPU_CATALOGUE.get(t)?.localNvme === true);
}

// ---- Production environments ----------------------------------------------------------------------------------

/** The tag that names a resource's environment; LlmOpsStack tags every stack with it. */
export const ENVIRONMENT_TAG = 'environment';

/** Environment names that count as production, compared case-insensitively. */
export const PRODUCTION_ENVIRONMENTS: readonly string[] = ['prod', 'production'];

/**
 * Whether `node` belongs to a production environment: its own `environment` tag, or else the `environment` tag of
 * its stack (or of the nearest parent stack that has one, for nested stacks), is `prod` or `production`, in any case.
 * The tag key is matched case-insensitively too (`Environment`). A tag whose value is a token (a parameter) counts as
 * production, since the template may be deployed there. No tag: not production.
 *
 * Tags added with `Tags.of(scope).add()` are applied by an aspect when the app is synthesized, which is when
 * `Validations.of(app).addPlugins()` runs the pack; a direct `validateScope()` before synthesis sees only tags given
 * to constructors (`new Stack(app, id, { tags })`, an L1's `tags` prop).
 */
export function isProduction(node: CfnResource): boolean {
  const own = environmentOf(TagManager.of(node)?.tagValues());
  if (own !== undefined) return isProductionName(own);
  for (let stack: Stack | undefined = Stack.of(node); stack; stack = stack.nestedStackParent) {
    const environment = environmentOf(stack.tags.tagValues());
    if (environment !== undefined) return isProductionName(environment);
  }
  return false;
}

function environmentOf(tags: Record<string, string> | undefined): string | undefined {
  if (!tags) return undefined;
  const key = ENVIRONMENT_TAG in tags ? ENVIRONMENT_TAG : Object.keys(tags).find(k => k.toLowerCase() === ENVIRONMENT_TAG);
  return key === undefined ? undefined : tags[key];
}

function isProductionName(environment: string): boolean {
  return Token.isUnresolved(environment) || PRODUCTION_ENVIRONMENTS.includes(environment.toLowerCase());
}
