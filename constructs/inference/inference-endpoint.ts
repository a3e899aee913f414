import { ArnFormat, Duration, IResource, Resource, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SAGEMAKER_INVOKE_ACTIONS } from '../permissions';

/** CloudWatch namespace of SageMaker endpoint invocation metrics. */
export const INVOCATION_NAMESPACE = 'AWS/SageMaker';
/** CloudWatch namespace of SageMaker endpoint instance (utilisation) metrics. */
export const INSTANCE_NAMESPACE = '/aws/sagemaker/Endpoints';

/** Options for the metrics of one production variant. */
export interface InferenceMetricOptions extends cloudwatch.MetricOptions {
  /**
   * The CloudWatch namespace: `AWS/SageMaker` (invocations) or `/aws/sagemaker/Endpoints` (instances).
   * @default 'AWS/SageMaker'
   */
  readonly namespace?: string;
  /**
   * The production variant to read.
   * @default - the endpoint's primary variant
   */
  readonly variantName?: string;
}

/** A SageMaker real-time inference endpoint. */
export interface IInferenceEndpoint extends IResource {
  /** The endpoint name. @attribute */
  readonly endpointName: string;
  /** The endpoint ARN. @attribute */
  readonly endpointArn: string;
  /** The name of the primary production variant (the default dimension of variant metrics). */
  readonly primaryVariantName: string;

  /** Grants `sagemaker:InvokeEndpoint` and `sagemaker:InvokeEndpointWithResponseStream` on this endpoint only. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;

  /**
   * Any metric of the endpoint's variant: `AWS/SageMaker` for invocation metrics, `/aws/sagemaker/Endpoints`
   * for instance metrics (pass `namespace` in `props`), dimensions EndpointName and VariantName.
   * @default - Average over 1 minute
   */
  metric(metricName: string, props?: InferenceMetricOptions): cloudwatch.Metric;
  /** Requests sent to the variant. @default - Sum over 1 minute */
  metricInvocations(props?: InferenceMetricOptions): cloudwatch.Metric;
  /** Share of requests that returned a 5xx error (0–1). @default - Average over 1 minute */
  metricInvocation5xxErrors(props?: InferenceMetricOptions): cloudwatch.Metric;
  /** Share of requests that returned a 4xx error (0–1). @default - Average over 1 minute */
  metricInvocation4xxErrors(props?: InferenceMetricOptions): cloudwatch.Metric;
  /** Share of requests where the model returned an error or timed out (0–1). @default - Average over 1 minute */
  metricInvocationModelErrors(props?: InferenceMetricOptions): cloudwatch.Metric;
  /** Time spent in the model container, in **microseconds**. @default - p99 over 1 minute */
  metricModelLatency(props?: InferenceMetricOptions): cloudwatch.Metric;
  /** Time SageMaker adds on top of the model latency, in **microseconds**. @default - Average over 1 minute */
  metricOverheadLatency(props?: InferenceMetricOptions): cloudwatch.Metric;
  /** In-flight plus queued requests per model copy (10-second resolution). @default - Maximum over 1 minute */
  metricConcurrentRequestsPerModel(props?: InferenceMetricOptions): cloudwatch.Metric;
  /** GPU utilisation in percent, summed over GPUs (0–100 × GPU count). @default - Average over 1 minute */
  metricGpuUtilization(props?: InferenceMetricOptions): cloudwatch.Metric;
  /** GPU memory utilisation in percent, summed over GPUs (0–100 × GPU count). @default - Average over 1 minute */
  metricGpuMemoryUtilization(props?: InferenceMetricOptions): cloudwatch.Metric;
  /** Disk utilisation of the instance in percent (0–100). @default - Average over 1 minute */
  metricDiskUtilization(props?: InferenceMetricOptions): cloudwatch.Metric;
}

/** Attributes to import an existing endpoint. */
export interface InferenceEndpointAttributes {
  /** The endpoint name. */
  readonly endpointName: string;
  /**
   * The primary production variant.
   * @default 'AllTraffic'
   */
  readonly primaryVariantName?: string;
}

/** Implements grants and metrics once, so owned and imported endpoints behave alike. */
export abstract class InferenceEndpointBase extends Resource implements IInferenceEndpoint {
  public abstract readonly endpointName: string;
  public abstract readonly endpointArn: string;
  public abstract readonly primaryVariantName: string;

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: SAGEMAKER_INVOKE_ACTIONS, resourceArns: [this.endpointArn] });
  }

  public metric(metricName: string, props: InferenceMetricOptions = {}): cloudwatch.Metric {
    const { variantName, namespace, ...options } = props;
    return new cloudwatch.Metric({
      namespace: namespace ?? INVOCATION_NAMESPACE,
      metricName,
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
      ...options,
      dimensionsMap: {
        EndpointName: this.endpointName,
        VariantName: variantName ?? this.primaryVariantName,
        ...options.dimensionsMap,
      },
    });
  }

  public metricInvocations(props?: InferenceMetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', { statistic: cloudwatch.Stats.SUM, ...props });
  }

  public metricInvocation5xxErrors(props?: InferenceMetricOptions): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  public metricInvocation4xxErrors(props?: InferenceMetricOptions): cloudwatch.Metric {
    return this.metric('Invocation4XXErrors', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  public metricInvocationModelErrors(props?: InferenceMetricOptions): cloudwatch.Metric {
    return this.metric('InvocationModelErrors', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  public metricModelLatency(props?: InferenceMetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: cloudwatch.Stats.p(99), unit: cloudwatch.Unit.MICROSECONDS, ...props });
  }

  public metricOverheadLatency(props?: InferenceMetricOptions): cloudwatch.Metric {
    return this.metric('OverheadLatency', { statistic: cloudwatch.Stats.AVERAGE, unit: cloudwatch.Unit.MICROSECONDS, ...props });
  }

  public metricConcurrentRequestsPerModel(props?: InferenceMetricOptions): cloudwatch.Metric {
    return this.metric('ConcurrentRequestsPerModel', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  public metricGpuUtilization(props?: InferenceMetricOptions): cloudwatch.Metric {
    return this.metric('GPUUtilization', { namespace: INSTANCE_NAMESPACE, ...props });
  }

  public metricGpuMemoryUtilization(props?: InferenceMetricOptions): cloudwatch.Metric {
    return this.metric('GPUMemoryUtilization', { namespace: INSTANCE_NAMESPACE, ...props });
  }

  public metricDiskUtilization(props?: InferenceMetricOptions): cloudwatch.Metric {
    return this.metric('DiskUtilization', { namespace: INSTANCE_NAMESPACE, ...props });
  }
}

/**
 * The ARN of an endpoint in the scope's account and region. SageMaker lower-cases endpoint names in ARNs.
 */
export function endpointArnFor(stack: Stack, endpointName: string): string {
  return stack.formatArn({
    service: 'sagemaker',
    resource: 'endpoint',
    resourceName: Token.isUnresolved(endpointName) ? endpointName : endpointName.toLowerCase(),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}
