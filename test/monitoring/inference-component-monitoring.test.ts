import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { GpuInstanceType } from '../../constructs/inference/gpu-instance-type';
import { InferenceComponentEndpoint } from '../../constructs/inference/inference-component-endpoint';
import { ModelSource } from '../../constructs/inference/model-source';
import { ServingContainer } from '../../constructs/inference/serving-container';
import { LlmOpsMonitoring } from '../../constructs/monitoring/llmops-monitoring';
import { newStack, validationError } from '../util';

type Json = Record<string, any>;

/** An endpoint on two ml.g5.12xlarge with a scale-to-zero chat model, its adapter, and an always-on embedding model. */
function endpoint(stack: Stack): InferenceComponentEndpoint {
  const bucket = new s3.Bucket(stack, 'Models');
  const ep = new InferenceComponentEndpoint(stack, 'Llm', { instanceType: GpuInstanceType.of('ml.g5.12xlarge'), fleet: { minInstances: 1, maxInstances: 2 } });
  const chat = ep.addModel('Chat', {
    model: ModelSource.fromBucket(bucket, 'models/chat/'), container: ServingContainer.lmi(), acceleratorsPerCopy: 1, copies: { min: 0, max: 4 }, loraAdapters: {},
  });
  ep.addAdapter('Support', { base: chat, adapterSource: { bucket, key: 'adapters/support/model.tar.gz' } });
  ep.addModel('Embed', { model: ModelSource.fromBucket(bucket, 'models/embed/'), acceleratorsPerCopy: 1, copies: { min: 1, max: 2 } });
  return ep;
}

function alarmNamed(t: Template, suffix: string): Json | undefined {
  return Object.values(t.findResources('AWS::CloudWatch::Alarm')).find(a => JSON.stringify(a.Properties.AlarmName ?? '').includes(suffix));
}

describe('When the monitoring facade watches an endpoint built on inference components', () => {
  const stack = newStack();
  const ep = endpoint(stack);
  const monitoring = new LlmOpsMonitoring(stack, 'Monitoring');
  monitoring.monitorInferenceComponents(ep).addAlarmStatusWidget();
  const t = Template.fromStack(stack);

  test('every component gets latency and error-rate alarms on its InferenceComponentName dimension', () => {
    for (const component of ep.inferenceComponents) {
      const alarm = alarmNamed(t, `Llm-${component.node.id}-ModelLatencyP99-Critical`)!;
      expect(alarm.Properties).toMatchObject({
        Namespace: 'AWS/SageMaker', MetricName: 'ModelLatency', ExtendedStatistic: 'p99', Threshold: 45_000_000,
        Dimensions: [{ Name: 'InferenceComponentName', Value: component.inferenceComponentName }],
      });
      for (const signal of ['Error5xxRate', 'Error4xxRate', 'ModelErrorRate']) expect(alarmNamed(t, `Llm-${component.node.id}-${signal}-Critical`)).toBeDefined();
    }
  });

  test('model components get a GPU saturation alarm on the normalised metric, with no GPU-count factor; the adapter gets none', () => {
    const alarm = alarmNamed(t, 'Llm-Chat-GpuUtilization-Warning')!;
    expect(alarm.Properties).toMatchObject({ Namespace: '/aws/sagemaker/InferenceComponents', MetricName: 'GPUUtilizationNormalized', Threshold: 90 });
    expect(alarmNamed(t, 'Llm-Support-GpuUtilization-Warning')).toBeUndefined();
  });

  test('the scale-to-zero component and its adapter get a no-capacity warning (a cold start is expected, so no page); the always-on one gets the idle alarm', () => {
    for (const id of ['Chat', 'Support']) {
      expect(alarmNamed(t, `Llm-${id}-NoCapacity-Warning`)!.Properties).toMatchObject({
        MetricName: 'NoCapacityInvocationFailures', Statistic: 'Sum', Period: 60, Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1,
      });
      expect(alarmNamed(t, `Llm-${id}-NoCapacity-Critical`)).toBeUndefined();
    }
    expect(alarmNamed(t, 'Llm-Embed-NoCapacity-Warning')).toBeUndefined();
    expect(alarmNamed(t, 'Llm-Chat-GpuIdle-Warning')).toBeUndefined();
    expect(alarmNamed(t, 'Llm-Embed-GpuIdle-Warning')!.Properties).toMatchObject({ ComparisonOperator: 'LessThanThreshold', Threshold: 5, Period: 3600 });
  });

  test('the service-health composite covers the critical alarms only, so a cold start does not page', () => {
    const [composite] = Object.values(t.findResources('AWS::CloudWatch::CompositeAlarm'));
    const rule = JSON.stringify(composite.Properties.AlarmRule);
    expect(rule).toContain('MonitoringLlmChatError5xxRateCritical');
    expect(rule).not.toContain('NoCapacity');
  });

  test('every alarm notifies the topic when it fires and when it recovers, and a composite covers the criticals', () => {
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter(a => JSON.stringify(a.Properties.AlarmName ?? '').includes('Llm-'))) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
      expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
    }
    t.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: Match.anyValue(),
      AlarmRule: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('ALARM\\(')])]) }),
    });
  });

  test('the dashboard shows latency, invocations, errors, GPU and no-capacity failures per component', () => {
    const [dashboard] = Object.values(t.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of ['p99 model latency (ms)', 'Invocations', '5xx error rate (%)', 'GPU utilisation per copy (%)', 'Requests that found no copy']) {
      expect(body).toContain(title);
    }
    expect(body).toContain('GPUUtilizationNormalized');
  });
});

describe('When the facade is given bad evaluation options for inference components', () => {
  test('datapointsToAlarm above evaluationPeriods fails, naming the call', () => {
    const stack = newStack();
    const ep = endpoint(stack);
    const monitoring = new LlmOpsMonitoring(stack, 'Monitoring');
    const e = validationError(() => monitoring.monitorInferenceComponents(ep, { evaluationPeriods: 2, datapointsToAlarm: 3 }));
    expect(e.message).toBe("LlmOpsMonitoring at 'TestStack/Monitoring': monitorInferenceComponents(Llm) options.datapointsToAlarm 3 exceeds evaluationPeriods (2); allowed: at most evaluationPeriods [LLMOPS_EVALUATION_PERIODS]");
  });
});
