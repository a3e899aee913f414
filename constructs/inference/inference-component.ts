import { ArnFormat, Duration, IResource, Resource, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CfnInferenceComponent, CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { IInferenceEndpoint, INVOCATION_NAMESPACE } from './inference-endpoint';
import { SAGEMAKER_INVOKE_ACTIONS } from '../permissions';

/** CloudWatch namespace of the per-copy utilisation metrics of inference components. */
export const INFERENCE_COMPONENT_NAMESPACE = '/aws/sagemaker/InferenceComponents';

/** A model (or a LoRA adapter) hosted on an endpoint built on inference components. */
export interface IInferenceComponent extends IResource {
  /** The inference component name (pass it as `InferenceComponentName` to InvokeEndpoint). @attribute */
  readonly inferenceComponentName: string;
  /** The inference component ARN. @attribute */
  readonly inferenceComponentArn: string;
  /** The endpoint that hosts the component. */
  readonly endpoint: IInferenceEndpoint;

  /**
   * Grants `sagemaker:InvokeEndpoint` and `sagemaker:InvokeEndpointWithResponseStream` on the hosting endpoint and
   * on this component.
   */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
  /**
   * Any metric of the component: `AWS/SageMaker` invocation metrics by default, or `/aws/sagemaker/InferenceComponents`
   * utilisation metrics (pass `namespace`), dimension InferenceComponentName.
   * @default - Average over 1 minute
   */
  metric(metricName: string, props?: cloudwatch.MetricOptions & { readonly namespace?: string }): cloudwatch.Metric;
  /** Requests sent to the component. @default - Sum over 1 minute */
  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Share of requests that returned a 5xx error (0–1). @default - Average over 1 minute */
  metricInvocation5xxErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Share of requests that returned a 4xx error (0–1). @default - Average over 1 minute */
  metricInvocation4xxErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Share of requests where the model returned an error or timed out (0–1). @default - Average over 1 minute */
  metricInvocationModelErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Time spent in the model container, in **microseconds**. @default - p99 over 1 minute */
  metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** In-flight plus queued requests per copy (10-second resolution). @default - Maximum over 1 minute */
  metricConcurrentRequestsPerCopy(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /**
   * Requests that failed because no instance or copy was running (the component had scaled to zero).
   * @default - Sum over 1 minute
   */
  metricNoCapacityInvocationFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** GPU utilisation of a copy relative to its reservation, 0–100 % whatever the GPU count. @default - Average over 1 minute */
  metricGpuUtilizationNormalized(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** GPU memory utilisation of a copy relative to its reservation, 0–100 %. @default - Average over 1 minute */
  metricGpuMemoryUtilizationNormalized(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** Implements grants and metrics once for every inference component. */
export abstract class InferenceComponentBase extends Resource implements IInferenceComponent {
  public abstract readonly inferenceComponentName: string;
  public abstract readonly inferenceComponentArn: string;
  public abstract readonly endpoint: IInferenceEndpoint;

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: SAGEMAKER_INVOKE_ACTIONS, resourceArns: [this.endpoint.endpointArn, this.inferenceComponentArn] });
  }

  public metric(metricName: string, props: cloudwatch.MetricOptions & { readonly namespace?: string } = {}): cloudwatch.Metric {
    const { namespace, ...options } = props;
    return new cloudwatch.Metric({
      namespace: namespace ?? INVOCATION_NAMESPACE,
      metricName,
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
      ...options,
      dimensionsMap: { InferenceComponentName: this.inferenceComponentName, ...options.dimensionsMap },
    });
  }

  public metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', { statistic: cloudwatch.Stats.SUM, ...props });
  }

  public metricInvocation5xxErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  public metricInvocation4xxErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation4XXErrors', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  public metricInvocationModelErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('InvocationModelErrors', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  public metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: cloudwatch.Stats.p(99), unit: cloudwatch.Unit.MICROSECONDS, ...props });
  }

  public metricConcurrentRequestsPerCopy(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ConcurrentRequestsPerCopy', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  public metricNoCapacityInvocationFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('NoCapacityInvocationFailures', { statistic: cloudwatch.Stats.SUM, ...props });
  }

  public metricGpuUtilizationNormalized(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('GPUUtilizationNormalized', { namespace: INFERENCE_COMPONENT_NAMESPACE, ...props });
  }

  public metricGpuMemoryUtilizationNormalized(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('GPUMemoryUtilizationNormalized', { namespace: INFERENCE_COMPONENT_NAMESPACE, ...props });
  }
}

/** What {@link InferenceComponent} is built from; the endpoint's `addModel` and `addAdapter` create it. */
export interface InferenceComponentProps {
  /** The endpoint that hosts the component. */
  readonly endpoint: IInferenceEndpoint;
  /** The component's name. */
  readonly inferenceComponentName: string;
  /** What the component runs: its model and reservation, or an adapter on a base component. */
  readonly specification: CfnInferenceComponent.InferenceComponentSpecificationProperty;
  /**
   * The variant of the endpoint that hosts it.
   * @default - none: an adapter runs where its base runs
   */
  readonly variantName?: string;
  /** Copies at creation; none for an adapter, which runs in its base's copies. */
  readonly copyCount?: number;
  /** The SageMaker model of the component, if it has one (an adapter has none). */
  readonly cfnModel?: CfnModel;
  /** The component this adapter extends. */
  readonly base?: InferenceComponent;
  /** The fewest and most copies (not for adapters). */
  readonly copies?: { readonly min: number; readonly max: number };
  /** Accelerators each copy reserves (not for adapters). */
  readonly acceleratorsPerCopy?: number;
  /** Host memory each copy reserves, in MiB (not for adapters). */
  readonly memoryPerCopyMiB?: number;
}

/**
 * One model, or one LoRA adapter, on an endpoint built on inference components. Create it with
 * `InferenceComponentEndpoint.addModel` or `addAdapter`.
 */
export class InferenceComponent extends InferenceComponentBase {
  public readonly inferenceComponentName: string;
  public readonly inferenceComponentArn: string;
  public readonly endpoint: IInferenceEndpoint;
  /** The inference component resource. */
  public readonly cfnInferenceComponent: CfnInferenceComponent;
  /** The SageMaker model it serves (none for an adapter). */
  public readonly cfnModel?: CfnModel;
  /** The base component, for an adapter. */
  public readonly base?: InferenceComponent;
  /** The fewest and most copies (undefined for an adapter). */
  public readonly copies?: { readonly min: number; readonly max: number };
  /** Accelerators each copy reserves (undefined for an adapter). */
  public readonly acceleratorsPerCopy?: number;
  /** Host memory each copy reserves, in MiB (undefined for an adapter). */
  public readonly memoryPerCopyMiB?: number;
  /** The copy-count scalable target, when the copy count scales. */
  public scalableTarget?: appscaling.ScalableTarget;
  /** The log group of the component's containers (`/aws/sagemaker/InferenceComponents/<name>`; none for an adapter). */
  public logGroup?: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: InferenceComponentProps) {
    super(scope, id);
    this.endpoint = props.endpoint;
    this.inferenceComponentName = props.inferenceComponentName;
    this.cfnModel = props.cfnModel;
    this.base = props.base;
    this.copies = props.copies;
    this.acceleratorsPerCopy = props.acceleratorsPerCopy;
    this.memoryPerCopyMiB = props.memoryPerCopyMiB;
    this.cfnInferenceComponent = new CfnInferenceComponent(this, 'Resource', {
      endpointName: props.endpoint.endpointName,
      variantName: props.variantName,
      inferenceComponentName: props.inferenceComponentName,
      specification: props.specification,
      runtimeConfig: props.copyCount === undefined ? undefined : { copyCount: props.copyCount },
    });
    this.inferenceComponentArn = inferenceComponentArnFor(Stack.of(this), props.inferenceComponentName);
  }

  /** Whether this component scales to zero copies. */
  public get scalesToZero(): boolean {
    return this.copies !== undefined && !Token.isUnresolved(this.copies.min) && this.copies.min === 0;
  }
}

/** The ARN of an inference component in the scope's account and region (SageMaker lower-cases names in ARNs). */
export function inferenceComponentArnFor(stack: Stack, name: string): string {
  return stack.formatArn({
    service: 'sagemaker',
    resource: 'inference-component',
    resourceName: Token.isUnresolved(name) ? name : name.toLowerCase(),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}
