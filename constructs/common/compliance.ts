import { CfnElement, Names, Stack, Tokenization, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';

/**
 * Renders a resolved value (an ARN with intrinsics) as text: `Ref` as `<Id>`, `Fn::GetAtt` as `<Id.Attr>`,
 * `Fn::Join` concatenated, `Fn::Sub` and `Fn::ImportValue` by their argument, lists joined with commas, anything
 * else as JSON. `leaf` rewrites each literal string.
 */
export function renderValue(value: unknown, leaf: (text: string) => string = text => text): string {
  const render = (node: unknown): string => {
    if (node === undefined || node === null) return '';
    if (typeof node === 'string') return leaf(node);
    const o = node as Record<string, any>;
    if (Array.isArray(o)) return o.map(render).join(',');
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(render).join(o['Fn::Join'][0]);
    if (o['Fn::GetAtt']) return `<${[].concat(o['Fn::GetAtt']).join('.')}>`;
    if (o.Ref) return `<${o.Ref}>`;
    if (o['Fn::Sub']) return render(o['Fn::Sub']);
    if (o['Fn::ImportValue']) return render(o['Fn::ImportValue']);
    return JSON.stringify(node);
  };
  return render(value);
}

/**
 * Renders a resource ARN (possibly a CloudFormation intrinsic) the way cdk-nag names wildcard findings:
 * `Fn::GetAtt` as `<LogicalId.Attr>`, `Ref` as `<LogicalId>`, `Fn::Join` concatenated, `${…}` as `<…>`.
 * In a nested stack, a reference to a resource of an enclosing stack is rendered as the parameter aws-cdk-lib
 * passes it through (`<referenceto<uniqueId><Attr>>`), as the nested template will show it.
 */
export function findingResourceText(scope: IConstruct, arn: string): string {
  const stack = Stack.of(scope);
  const text = renderValue(stack.resolve(arn), t => t.replace(/\$\{/g, '<').replace(/\}/g, '>'));
  if (!stack.nested) return text;
  let rewritten = text;
  for (const token of Tokenization.reverseString(arn).tokens) {
    // aws-cdk-lib's CfnReference: the referenced element and the attribute ('Ref' for a Ref).
    const { target, displayName } = token as unknown as { target?: unknown; displayName?: string };
    if (!CfnElement.isCfnElement(target) || typeof displayName !== 'string' || Stack.of(target) === stack) continue;
    const logicalId = Stack.of(target).resolve(target.logicalId) as string;
    const rendered = displayName === 'Ref' ? `<${logicalId}>` : `<${logicalId}.${displayName}>`;
    rewritten = rewritten.split(rendered).join(`<referenceto${Names.nodeUniqueId(target.node)}${displayName}>`);
  }
  return rewritten;
}

/**
 * Acknowledges the cdk-nag wildcard finding (AwsSolutions-IAM5) for exactly one resource ARN on `scope` and
 * its children, with a reason. Use only where the wildcard is inherent (an S3 key prefix, an action that has
 * no resource-level permissions).
 */
export function acknowledgeWildcardResource(scope: IConstruct, arn: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${findingResourceText(scope, arn)}]`, reason });
}

/** The compliance packs whose rule IDs share a name after the pack prefix (cdk-nag v3). */
export const COMPLIANCE_PACK_PREFIXES: readonly string[] = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'];

/**
 * Acknowledges one compliance rule (e.g. `S3BucketReplicationEnabled`) in every compliance pack that may carry it
 * (HIPAA Security, NIST 800-53 R5, PCI DSS 3.2.1) on `scope` and its children, with one reason. A pack without the
 * rule ignores the acknowledgement.
 */
export function acknowledgeComplianceRule(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge(...COMPLIANCE_PACK_PREFIXES.map(prefix => ({ id: `${prefix}-${rule}`, reason })));
}

/** Acknowledges the replication findings of a bucket: replication is the deploying account's DR choice. */
export function acknowledgeReplication(bucket: s3.IBucket): void {
  acknowledgeComplianceRule(bucket, 'S3BucketReplicationEnabled',
    'cross-region replication is a disaster-recovery choice of the deploying account (it needs a second region and key); the bucket is versioned and retained instead');
}

/**
 * Acknowledges the "unrestricted SSH / common ports" findings on the security-group-to-security-group ingress rules
 * that already exist on `group` (aws-cdk-lib names them `from <peer>:<port>`). Only rules whose source is another
 * security group qualify: CIDR rules live on the group itself and stay checked.
 */
export function acknowledgeSecurityGroupSourceRules(group: ec2.SecurityGroup, reason: string): void {
  for (const rule of group.node.children.filter(c => c.node.id.startsWith('from '))) {
    acknowledgeComplianceRule(rule, 'EC2RestrictedSSH', reason);
    acknowledgeComplianceRule(rule, 'EC2RestrictedCommonPorts', reason);
  }
}
