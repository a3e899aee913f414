import { Stack, StackProps } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** Props of {@link LlmOpsRegistryStack}. */
export interface LlmOpsRegistryStackProps extends StackProps {
  /** Name of the SSM parameter that holds the approved model package ARN, e.g. `/llmops/dev/approved-model-package`. */
  readonly parameterName: string;
}

/**
 * The SSM parameter that holds an environment's approved model package ARN ('none' until the first approval).
 * It lives in its own stack, deployed before the LlmOpsStack, because CloudFormation resolves the stack's
 * `AWS::SSM::Parameter::Value<String>` parameter before it creates anything. The promotion function overwrites the
 * value; redeploying this stack leaves it alone unless its template changes.
 */
export class LlmOpsRegistryStack extends Stack {
  /** The parameter. */
  public readonly approvedModelPackage: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: LlmOpsRegistryStackProps) {
    super(scope, id, { description: 'cdk-llmops: the approved model package of one environment', ...props });
    this.approvedModelPackage = new ssm.StringParameter(this, 'ApprovedModelPackage', {
      parameterName: props.parameterName,
      stringValue: 'none',
      description: 'ARN of the approved model package the endpoint serves; written by the promotion function',
    });
  }
}
