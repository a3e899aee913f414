import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Renders a resource ARN (possibly a CloudFormation intrinsic) the way cdk-nag names wildcard findings:
 * `Fn::GetAtt` as `<LogicalId.Attr>`, `Ref` as `<LogicalId>`, `Fn::Join` concatenated.
 */
export function findingResourceText(scope: IConstruct, arn: string): string {
  const render = (node: unknown): string => {
    if (node === undefined || node === null) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const o = node as Record<string, any>;
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(render).join(o['Fn::Join'][0]);
    if (o['Fn::Sub']) return render(o['Fn::Sub']);
    if (o['Fn::GetAtt']) return `<${render(o['Fn::GetAtt'][0])}.${render(o['Fn::GetAtt'][1])}>`;
    if (o['Fn::ImportValue']) return render(o['Fn::ImportValue']);
    if (o.Ref) return `<${render(o.Ref)}>`;
    return JSON.stringify(node);
  };
  return render(Stack.of(scope).resolve(arn));
}

/**
 * Acknowledges the cdk-nag wildcard finding (AwsSolutions-IAM5) for exactly one resource ARN on `scope` and
 * its children, with a reason. Use only where the wildcard is inherent (an S3 key prefix, an action that has
 * no resource-level permissions).
 */
export function acknowledgeWildcardResource(scope: IConstruct, arn: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${findingResourceText(scope, arn)}]`, reason });
}
