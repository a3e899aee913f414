import { CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import {
  AuroraPgVectorStore, DeploymentStrategy, FineTuningPipeline, GpuInferenceEndpoint, GpuInferenceEndpointProps, GpuInstanceType, LlmOpsFoundation,
  LlmOpsMonitoring, LlmOpsMonitoringProps, ModelSource, OpenSearchServerlessVectorStore,
} from '../../constructs';
import { newStack, validationError } from '../util';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The logical ID of a construct's CloudFormation resource. */
function logicalId(c: IConstruct): string {
  return Stack.of(c).getLogicalId((c.node.defaultChild ?? c) as CfnElement);
}

/** A GPU endpoint serving weights from S3; extra props override. */
function gpuEndpoint(stack: Stack, id: string, extra: Partial<GpuInferenceEndpointProps> = {}): GpuInferenceEndpoint {
  const weights = s3.Bucket.fromBucketName(stack, `${id}Weights`, 'weights-bucket');
  return new GpuInferenceEndpoint(stack, id, { model: ModelSource.fromBucket(weights, 'models/mistral-7b/'), ...extra });
}

/** Every CloudWatch alarm (not composite) of the template, by logical ID. */
function alarms(t: Template): Record<string, Json> {
  return t.findResources('AWS::CloudWatch::Alarm');
}

/** The alarms whose AlarmName starts with `prefix`. */
function alarmsNamed(t: Template, prefix: string): Json[] {
  return Object.values(alarms(t)).filter(a => a.Properties.AlarmName.startsWith(prefix));
}

/** Tokens in a Fn::Join part become `${LogicalId}` / `${LogicalId.Attribute}` placeholders. */
function placeholder(part: unknown): string {
  if (typeof part === 'string') return part;
  const token = part as Record<string, unknown>;
  if (typeof token.Ref === 'string') return `\${${token.Ref}}`;
  if (Array.isArray(token['Fn::GetAtt'])) return `\${${token['Fn::GetAtt'].join('.')}}`;
  return `\${${Object.keys(token)[0]}}`;
}

/** The dashboard's widgets: DashboardBody with its Fn::Join resolved to text (tokens as placeholders), parsed. */
function dashboardWidgets(t: Template): Json[] {
  const dashboards = Object.values(t.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0].Properties.DashboardBody;
  const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map(placeholder).join(body['Fn::Join'][0]);
  return JSON.parse(text).widgets;
}

function widget(widgets: Json[], title: string): Json {
  const found = widgets.filter(w => w.properties.title === title);
  expect(found).toHaveLength(1);
  return found[0];
}

/** A graph's plain metric rows: `[namespace, name, ...dimensions, options?]`, as { namespace, name, options }. */
function metricRows(w: Json): Array<{ namespace: string; name: string; options: Json }> {
  return (w.properties.metrics as Json[][])
    .filter(row => typeof row[0] === 'string')
    .map(row => ({ namespace: row[0], name: row[1], options: typeof row[row.length - 1] === 'object' ? row[row.length - 1] : {} }));
}

/** A graph's math expressions, each with the metric row it reads (`mN` in the expression is that row's id). */
function expressions(w: Json): Array<{ label: string; expression: string; reads: { name: string; options: Json } }> {
  const rows = metricRows(w);
  return (w.properties.metrics as Json[][])
    .filter(row => typeof row[0] === 'object' && row[0].expression !== undefined)
    .map(([e]) => {
      const id = (e.expression as string).split(' ')[0];
      const read = rows.filter(r => r.options.id === id);
      expect(read).toHaveLength(1);
      return { label: e.label, expression: e.expression, reads: read[0] };
    });
}

const WHERE = "LlmOpsMonitoring at 'TestStack/Monitoring'";

describe('When a whole LLMOps stack is monitored with the defaults', () => {
  const stack = newStack();
  const foundation = new LlmOpsFoundation(stack, 'Foundation');
  const vpc = foundation.vpc;
  const encryptionKey = foundation.encryptionKey;
  const endpoint = gpuEndpoint(stack, 'Chat', {
    instanceType: GpuInstanceType.G5_12XLARGE,
    instanceCount: 2,
    deployment: { strategy: DeploymentStrategy.canary(25, Duration.minutes(10)) },
    dataCapture: { bucket: foundation.dataCaptureBucket },
    vpc,
    encryptionKey,
  });
  const search = new OpenSearchServerlessVectorStore(stack, 'Search', { dimension: 1024, vpc, encryptionKey });
  const pg = new AuroraPgVectorStore(stack, 'Pg', { dimension: 1024, vpc, encryptionKey });
  const tuning = new FineTuningPipeline(stack, 'Tuning', {
    baseModel: ModelSource.fromBucket(foundation.artifactsBucket, 'models/base/'),
    evaluation: { metric: 'eval_loss', threshold: 1.5 },
    vpc,
    encryptionKey,
  });
  // GPU-memory and connection alarms are opt-in (serving engines pre-allocate GPU memory; Aurora's connection limit
  // follows maxCapacity): they are given here so that the table covers their conversion too.
  const monitoring = new LlmOpsMonitoring(stack, 'Monitoring', {
    encryptionKey, alarmEmails: ['ops@example.com'],
    thresholds: { endpoint: { gpuMemoryPercent: { warning: 97, critical: 99 } }, vectorStore: { connections: { warning: 500 } } },
  });
  monitoring.monitorEndpoint(endpoint).monitorVectorStore(search).monitorVectorStore(pg).monitorFineTuning(tuning).addAlarmStatusWidget();
  // Template.fromStack throws on a circular dependency, so reaching the tests means the rollback wiring has none.
  const t = Template.fromStack(stack);
  const topic = stack.resolve(monitoring.topic.topicArn);
  const alarmId = (id: string) => logicalId(monitoring.alarms[id]);

  const SM = 'AWS/SageMaker';
  const EP = '/aws/sagemaker/Endpoints';
  const GT = 'GreaterThanThreshold';
  const GTE = 'GreaterThanOrEqualToThreshold';
  const LT = 'LessThanThreshold';
  const NB = 'notBreaching';
  const MiB = 1024 * 1024;
  // alarm name, namespace, metric, statistic, period (s), threshold (metric unit), comparison, evaluation periods, datapoints to alarm, missing data
  const rows: Array<[string, string, string, string, number, number, string, number, number, string]> = [
    // Endpoint on ml.g5.12xlarge (4 GPUs). ModelLatency and OverheadLatency are microseconds; error rates 0-1; GPU metrics 0-400 %.
    ['TestStack-Chat-ModelLatencyP99-Warning', SM, 'ModelLatency', 'p99', 60, 20_000_000, GT, 3, 3, NB],
    ['TestStack-Chat-ModelLatencyP99-Critical', SM, 'ModelLatency', 'p99', 60, 45_000_000, GT, 3, 3, NB],
    ['TestStack-Chat-OverheadLatency-Warning', SM, 'OverheadLatency', 'Average', 60, 200_000, GT, 3, 3, NB],
    ['TestStack-Chat-OverheadLatency-Critical', SM, 'OverheadLatency', 'Average', 60, 1_000_000, GT, 3, 3, NB],
    ['TestStack-Chat-Error5xxRate-Warning', SM, 'Invocation5XXErrors', 'Average', 60, 0.01, GT, 3, 3, NB],
    ['TestStack-Chat-Error5xxRate-Critical', SM, 'Invocation5XXErrors', 'Average', 60, 0.05, GT, 3, 3, NB],
    ['TestStack-Chat-Error4xxRate-Warning', SM, 'Invocation4XXErrors', 'Average', 60, 0.05, GT, 3, 3, NB],
    ['TestStack-Chat-Error4xxRate-Critical', SM, 'Invocation4XXErrors', 'Average', 60, 0.2, GT, 3, 3, NB],
    ['TestStack-Chat-ModelErrorRate-Warning', SM, 'InvocationModelErrors', 'Average', 60, 0.01, GT, 3, 3, NB],
    ['TestStack-Chat-ModelErrorRate-Critical', SM, 'InvocationModelErrors', 'Average', 60, 0.05, GT, 3, 3, NB],
    ['TestStack-Chat-GpuMemoryUtilization-Warning', EP, 'GPUMemoryUtilization', 'Average', 60, 388, GT, 3, 3, NB],
    ['TestStack-Chat-GpuMemoryUtilization-Critical', EP, 'GPUMemoryUtilization', 'Average', 60, 396, GT, 3, 3, NB],
    ['TestStack-Chat-GpuUtilization-Warning', EP, 'GPUUtilization', 'Average', 60, 360, GT, 3, 3, NB],
    ['TestStack-Chat-GpuIdle-Warning', EP, 'GPUUtilization', 'Average', 3600, 20, LT, 6, 6, NB],
    ['TestStack-Chat-DiskUtilization-Warning', EP, 'DiskUtilization', 'Average', 60, 80, GT, 3, 3, NB],
    ['TestStack-Chat-DiskUtilization-Critical', EP, 'DiskUtilization', 'Average', 60, 90, GT, 3, 3, NB],
    // OpenSearch Serverless, 5-minute periods.
    ['TestStack-Search-SearchLatency-Warning', 'AWS/AOSS', 'SearchRequestLatency', 'Average', 300, 500, GT, 3, 3, NB],
    ['TestStack-Search-SearchLatency-Critical', 'AWS/AOSS', 'SearchRequestLatency', 'Average', 300, 2000, GT, 3, 3, NB],
    ['TestStack-Search-SearchErrors-Warning', 'AWS/AOSS', 'SearchRequestErrors', 'Sum', 300, 1, GTE, 3, 3, NB],
    ['TestStack-Search-SearchErrors-Critical', 'AWS/AOSS', 'SearchRequestErrors', 'Sum', 300, 10, GTE, 3, 3, NB],
    ['TestStack-Search-IngestionErrors-Warning', 'AWS/AOSS', 'IngestionRequestErrors', 'Sum', 300, 1, GTE, 3, 3, NB],
    ['TestStack-Search-IngestionErrors-Critical', 'AWS/AOSS', 'IngestionRequestErrors', 'Sum', 300, 10, GTE, 3, 3, NB],
    // Aurora pgvector, 5-minute periods; freeable memory in bytes, alarming below.
    ['TestStack-Pg-CapacityUsed-Warning', 'AWS/RDS', 'ACUUtilization', 'Average', 300, 80, GT, 3, 3, NB],
    ['TestStack-Pg-CapacityUsed-Critical', 'AWS/RDS', 'ACUUtilization', 'Average', 300, 95, GT, 3, 3, NB],
    ['TestStack-Pg-CpuUtilization-Warning', 'AWS/RDS', 'CPUUtilization', 'Average', 300, 80, GT, 3, 3, NB],
    ['TestStack-Pg-CpuUtilization-Critical', 'AWS/RDS', 'CPUUtilization', 'Average', 300, 95, GT, 3, 3, NB],
    ['TestStack-Pg-Connections-Warning', 'AWS/RDS', 'DatabaseConnections', 'Average', 300, 500, GT, 3, 3, NB],
    ['TestStack-Pg-FreeableMemory-Warning', 'AWS/RDS', 'FreeableMemory', 'Minimum', 300, 512 * MiB, LT, 3, 3, NB],
    ['TestStack-Pg-FreeableMemory-Critical', 'AWS/RDS', 'FreeableMemory', 'Minimum', 300, 256 * MiB, LT, 3, 3, NB],
    // Fine-tuning: one failed or timed-out execution pages (a pipeline runs a few times a week, so more than one an hour never comes).
    ['TestStack-Tuning-FailedExecutions-Critical', 'AWS/States', 'ExecutionsFailed', 'Sum', 3600, 1, GTE, 1, 1, NB],
    ['TestStack-Tuning-TimedOutExecutions-Critical', 'AWS/States', 'ExecutionsTimedOut', 'Sum', 3600, 1, GTE, 1, 1, NB],
  ];

  test.each(rows)('%s watches %s %s (%s over %i s) against %d with %s, %i periods, %i to alarm, missing data %s',
    (name, namespace, metricName, statistic, period, threshold, comparison, evaluationPeriods, datapoints, missing) => {
      expect(alarmsNamed(t, name)).toHaveLength(1);
      const percentile = /^p\d/.test(statistic);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        Namespace: namespace,
        MetricName: metricName,
        Statistic: percentile ? Match.absent() : statistic,
        ExtendedStatistic: percentile ? statistic : Match.absent(),
        Period: period,
        Threshold: threshold,
        ComparisonOperator: comparison,
        EvaluationPeriods: evaluationPeriods,
        DatapointsToAlarm: datapoints,
        TreatMissingData: missing,
        AlarmActions: [topic],
        OKActions: [topic],
      });
    });

  test('every alarm the facade creates is in the table, except the one anomaly alarm', () => {
    t.resourceCountIs('AWS::CloudWatch::Alarm', rows.length + 1);
    const names = Object.values(alarms(t)).map(a => a.Properties.AlarmName).sort();
    expect(names).toEqual([...rows.map(r => r[0]), 'TestStack-Chat-InvocationsAnomaly-Warning'].sort());
  });

  test('the endpoint alarms name the endpoint by its literal name and the primary variant', () => {
    const endpointAlarms = Object.values(alarms(t)).filter(a => [SM, EP].includes(a.Properties.Namespace));
    expect(endpointAlarms).toHaveLength(16);
    for (const a of endpointAlarms) {
      expect(a.Properties.Dimensions).toEqual([{ Name: 'EndpointName', Value: endpoint.endpointName }, { Name: 'VariantName', Value: 'AllTraffic' }]);
    }
  });

  test('invocations have an anomaly band of 3 standard deviations that alarms on either side and notifies the topic', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'TestStack-Chat-InvocationsAnomaly-Warning',
      ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold',
      ThresholdMetricId: 'expr_1',
      EvaluationPeriods: 3,
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Id: 'expr_1', Expression: Match.stringLikeRegexp('^ANOMALY_DETECTION_BAND\\(m\\w*, 3\\)$') }),
        Match.objectLike({
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SageMaker', MetricName: 'Invocations',
              Dimensions: [{ Name: 'EndpointName', Value: endpoint.endpointName }, { Name: 'VariantName', Value: 'AllTraffic' }],
            },
            Period: 300,
            Stat: 'Sum',
          },
        }),
      ]),
      AlarmActions: [topic],
      OKActions: [topic],
    });
    const [anomaly] = alarmsNamed(t, 'TestStack-Chat-InvocationsAnomaly-Warning');
    const band = anomaly.Properties.Metrics.find((x: Json) => x.Expression);
    const metricId = band.Expression.match(/^ANOMALY_DETECTION_BAND\((\w+), 3\)$/)[1];
    expect(anomaly.Properties.Metrics.map((x: Json) => x.Id)).toContain(metricId);
  });

  test("a composite service-health alarm fires on any of the endpoint's critical alarms and notifies the topic", () => {
    const criticals = Object.entries(alarms(t))
      .filter(([, a]) => /^TestStack-Chat-.*-Critical$/.test(a.Properties.AlarmName))
      .map(([id]) => id);
    expect(criticals).toHaveLength(7);
    t.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 1);
    t.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: 'TestStack-Chat-ServiceHealth-Critical',
      AlarmActions: [topic],
      OKActions: [topic],
    });
    const [composite] = Object.values(t.findResources('AWS::CloudWatch::CompositeAlarm'));
    const rule = composite.Properties.AlarmRule['Fn::Join'][1].map(placeholder).join('');
    expect(rule).toBe(`(${criticals.map(id => `ALARM("\${${id}.Arn}")`).join(' OR ')})`);
  });

  test('the deployment rolls back on exactly the critical p99 latency and 5xx alarms, without a dependency cycle', () => {
    const endpointId = logicalId(endpoint.cfnEndpoint);
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: Match.objectLike({
          TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 600 },
        }),
        AutoRollbackConfiguration: {
          Alarms: [{ AlarmName: { Ref: alarmId('ChatModelLatencyP99Critical') } }, { AlarmName: { Ref: alarmId('ChatError5xxRateCritical') } }],
        },
      },
    });
    // The endpoint references the alarms; no alarm may reference the endpoint back.
    expect(JSON.stringify(alarms(t))).not.toContain(endpointId);
    expect(JSON.stringify(t.findResources('AWS::CloudWatch::CompositeAlarm'))).not.toContain(endpointId);
  });

  test('the topic is encrypted with the foundation key and has the email subscription', () => {
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(encryptionKey), 'Arn'] } });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topic });
  });

  test('the key policy lets CloudWatch use the key to publish to the topic', () => {
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']),
          Resource: '*',
        })]),
      },
    });
    t.resourceCountIs('AWS::KMS::Key', 1);
  });

  describe('the dashboard', () => {
    const widgets = dashboardWidgets(t);

    test('is named after the stack', () => {
      t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'TestStack-llmops' });
    });

    test('shows model latency p50, p90 and p99 in milliseconds (microseconds divided by 1000)', () => {
      const exprs = expressions(widget(widgets, 'Model latency (ms)'));
      expect(exprs.map(e => e.label)).toEqual(['p50', 'p90', 'p99']);
      for (const e of exprs) {
        expect(e.expression).toMatch(/^m\d+ \/ 1000$/);
        expect(e.reads.name).toBe('ModelLatency');
        expect(e.reads.options.stat).toBe(e.label);
        expect(e.reads.options.visible).toBe(false);
      }
    });

    test('shows invocations as a Sum', () => {
      const rows = metricRows(widget(widgets, 'Invocations'));
      expect(rows).toEqual([{ namespace: 'AWS/SageMaker', name: 'Invocations', options: expect.objectContaining({ stat: 'Sum' }) }]);
    });

    test('shows the 5xx, 4xx and model error rates in percent', () => {
      const exprs = expressions(widget(widgets, 'Error rates (%)'));
      expect(exprs.map(e => e.reads.name)).toEqual(['Invocation5XXErrors', 'Invocation4XXErrors', 'InvocationModelErrors']);
      for (const e of exprs) expect(e.expression).toMatch(/^m\d+ \* 100$/);
    });

    test.each([
      ['GPU utilisation per GPU (%)', 'GPUUtilization'],
      ['GPU memory per GPU (%)', 'GPUMemoryUtilization'],
    ])('shows %s normalised by the 4 GPUs of the instance', (title, metricName) => {
      const exprs = expressions(widget(widgets, title));
      expect(exprs).toHaveLength(1);
      expect(exprs[0].expression).toMatch(/^m\d+ \* 0\.25$/);
      expect(exprs[0].reads).toEqual(expect.objectContaining({ namespace: '/aws/sagemaker/Endpoints', name: metricName }));
    });

    test('shows the instances reporting', () => {
      const rows = metricRows(widget(widgets, 'Instances (reporting)'));
      expect(rows).toEqual([{ namespace: '/aws/sagemaker/Endpoints', name: 'CPUUtilization', options: expect.objectContaining({ stat: 'SampleCount' }) }]);
    });

    test('shows the health of both vector stores under their own headings', () => {
      const markdown = widgets.filter(w => w.type === 'text').map(w => w.properties.markdown);
      expect(markdown).toEqual(expect.arrayContaining(['## Vector store Search', '## Vector store Pg']));
      const graphs: Array<[string, string, string]> = [
        ['SearchLatency', 'AWS/AOSS', 'SearchRequestLatency'],
        ['SearchErrors', 'AWS/AOSS', 'SearchRequestErrors'],
        ['IngestionErrors', 'AWS/AOSS', 'IngestionRequestErrors'],
        ['CapacityUsed', 'AWS/RDS', 'ACUUtilization'],
        ['CpuUtilization', 'AWS/RDS', 'CPUUtilization'],
        ['Connections', 'AWS/RDS', 'DatabaseConnections'],
        ['FreeableMemory', 'AWS/RDS', 'FreeableMemory'],
      ];
      for (const [title, namespace, name] of graphs) {
        expect(metricRows(widget(widgets, title))).toEqual([expect.objectContaining({ namespace, name })]);
      }
    });

    test('shows succeeded, failed and timed-out fine-tuning executions', () => {
      const rows = metricRows(widget(widgets, 'Executions'));
      expect(rows.map(r => [r.namespace, r.name, r.options.label])).toEqual([
        ['AWS/States', 'ExecutionsSucceeded', 'succeeded'],
        ['AWS/States', 'ExecutionsFailed', 'failed'],
        ['AWS/States', 'ExecutionsTimedOut', 'timed out'],
      ]);
    });

    test('ends with an alarm status widget listing every alarm, the anomaly and composite alarms included', () => {
      const status = widgets.filter(w => w.type === 'alarm');
      expect(status).toHaveLength(1);
      expect(widgets[widgets.length - 1]).toBe(status[0]);
      const all = [...Object.keys(alarms(t)), ...Object.keys(t.findResources('AWS::CloudWatch::CompositeAlarm'))];
      expect([...status[0].properties.alarms].sort()).toEqual(all.map(id => `\${${id}.Arn}`).sort());
    });
  });
});

describe('When the facade is given a topic and a threshold override, and rollback is turned off', () => {
  const stack = newStack();
  const topic = new sns.Topic(stack, 'OnCall');
  const endpoint = gpuEndpoint(stack, 'Chat', { instanceCount: 2, deployment: { strategy: DeploymentStrategy.canary(25, Duration.minutes(10)) } });
  const monitoring = new LlmOpsMonitoring(stack, 'Monitoring', { topic, thresholds: { endpoint: { error5xxPercent: { critical: 2 } } } });
  monitoring.monitorEndpoint(endpoint, { rollback: false });
  const t = Template.fromStack(stack);
  const topicRef = stack.resolve(topic.topicArn);

  test('only a critical 5xx alarm is created, at 2 % (0.02)', () => {
    expect(alarmsNamed(t, 'TestStack-Chat-Error5xxRate-')).toHaveLength(1);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'TestStack-Chat-Error5xxRate-Critical', MetricName: 'Invocation5XXErrors', Threshold: 0.02 });
  });

  test('the other alarms keep their defaults', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'TestStack-Chat-Error4xxRate-Warning', Threshold: 0.05 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'TestStack-Chat-ModelLatencyP99-Critical', Threshold: 45_000_000 });
  });

  test('every alarm notifies the given topic, and no topic or key of its own is created', () => {
    t.resourceCountIs('AWS::SNS::Topic', 1);
    for (const a of Object.values(alarms(t))) {
      expect(a.Properties.AlarmActions).toEqual([topicRef]);
      expect(a.Properties.OKActions).toEqual([topicRef]);
    }
    t.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmActions: [topicRef], OKActions: [topicRef] });
    expect(JSON.stringify(t.findResources('AWS::KMS::Key'))).not.toContain('cloudwatch.amazonaws.com');
    expect(monitoring.node.tryFindChild('TopicKey')).toBeUndefined();
  });

  test('the endpoint keeps its canary but rolls back on no alarm', () => {
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: { BlueGreenUpdatePolicy: Match.anyValue(), AutoRollbackConfiguration: Match.absent() },
    });
  });
});

describe('When variants, imported endpoints and scale to zero are monitored', () => {
  const stack = newStack();
  const abTest = gpuEndpoint(stack, 'Chat', {
    instanceType: GpuInstanceType.G5_12XLARGE,
    additionalVariants: [{ variantName: 'Challenger', instanceType: GpuInstanceType.G6E_XLARGE }],
  });
  const legacy = GpuInferenceEndpoint.fromEndpointAttributes(stack, 'Legacy', { endpointName: 'legacy-chat' });
  const big = GpuInferenceEndpoint.fromEndpointAttributes(stack, 'Big', { endpointName: 'big-chat' });
  const monitoring = new LlmOpsMonitoring(stack, 'Monitoring', { thresholds: { endpoint: { gpuMemoryPercent: { warning: 97, critical: 99 } } } });
  monitoring
    .monitorEndpoint(abTest, { variantNames: ['AllTraffic', 'Challenger'] })
    .monitorEndpoint(legacy, { scaleToZeroComponents: ['chat-ic'] })
    .monitorEndpoint(big, { acceleratorCount: 8 });
  const t = Template.fromStack(stack);
  const widgets = dashboardWidgets(t);
  const alarmId = (id: string) => logicalId(monitoring.alarms[id]);

  test.each(['AllTraffic', 'Challenger'])('the %s variant gets its own alarms, named after it and reading its VariantName', variant => {
    const own = alarmsNamed(t, `TestStack-Chat-${variant}-`);
    expect(own.length).toBeGreaterThanOrEqual(13);
    for (const a of own) {
      const dimensions = a.Properties.Dimensions ?? a.Properties.Metrics.find((x: Json) => x.MetricStat).MetricStat.Metric.Dimensions;
      expect(dimensions).toEqual([{ Name: 'EndpointName', Value: abTest.endpointName }, { Name: 'VariantName', Value: variant }]);
    }
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `TestStack-Chat-${variant}-Error5xxRate-Critical`, Threshold: 0.05 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `TestStack-Chat-${variant}-InvocationsAnomaly-Warning` });
  });

  test("only the primary variant's critical latency and 5xx alarms roll deployments back", () => {
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: Match.objectLike({
        AutoRollbackConfiguration: {
          Alarms: [{ AlarmName: { Ref: alarmId('Chat-AllTrafficModelLatencyP99Critical') } }, { AlarmName: { Ref: alarmId('Chat-AllTrafficError5xxRateCritical') } }],
        },
      }),
    });
  });

  test("the primary variant's GPU alarms are normalised by its 4 GPUs", () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'TestStack-Chat-AllTraffic-GpuMemoryUtilization-Warning', Threshold: 388 });
  });

  test("a variant on another instance type is not normalised by the primary's GPU count", () => {
    // The challenger runs on ml.g6e.xlarge (1 GPU): its GPU metrics range 0-100 %, so 97 % × 4 = 388 could never fire.
    const challenger = alarmsNamed(t, 'TestStack-Chat-Challenger-GpuMemoryUtilization-Warning').map(a => a.Properties.Threshold);
    expect(challenger).toEqual(challenger.length === 0 ? [] : [97]);
  });

  test('an imported endpoint of unknown GPU count gets no GPU alarms but the others', () => {
    const names = alarmsNamed(t, 'TestStack-Legacy-').map(a => a.Properties.AlarmName);
    expect(names.filter(n => /Gpu/.test(n))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['TestStack-Legacy-ModelLatencyP99-Critical', 'TestStack-Legacy-Error5xxRate-Critical', 'TestStack-Legacy-DiskUtilization-Warning']));
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'TestStack-Legacy-ModelLatencyP99-Critical',
      Dimensions: [{ Name: 'EndpointName', Value: 'legacy-chat' }, { Name: 'VariantName', Value: 'AllTraffic' }],
    });
  });

  test('scale to zero adds a critical alarm per inference component on the first request that fails for lack of capacity', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'TestStack-Legacy-chatic-NoCapacity-Critical',
      Namespace: 'AWS/SageMaker',
      MetricName: 'NoCapacityInvocationFailures',
      Dimensions: [{ Name: 'InferenceComponentName', Value: 'chat-ic' }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarmsNamed(t, 'TestStack-Chat-').filter(a => /NoCapacity/.test(a.Properties.AlarmName))).toEqual([]);
  });

  test('a given accelerator count normalises the GPU alarms of an imported endpoint', () => {
    const threshold = (name: string) => alarmsNamed(t, `TestStack-Big-${name}`).map(a => a.Properties.Threshold);
    expect(threshold('GpuMemoryUtilization-Warning')).toEqual([776]);
    expect(threshold('GpuMemoryUtilization-Critical')).toEqual([792]);
    expect(threshold('GpuUtilization-Warning')).toEqual([720]);
    expect(threshold('GpuIdle-Warning')).toEqual([40]);
  });

  test('an endpoint of unknown GPU count has no GPU widgets but still shows its instances', () => {
    const heading = widgets.findIndex(w => w.properties.markdown === '## Endpoint legacy-chat');
    expect(heading).toBeGreaterThanOrEqual(0);
    const next = widgets.findIndex((w, i) => i > heading && w.type === 'text');
    const section = widgets.slice(heading + 1, next < 0 ? undefined : next).map(w => w.properties.title);
    expect(section).toEqual(['Model latency (ms)', 'Invocations', 'Error rates (%)', 'Instances (reporting)']);
  });
});

describe('When monitoring input is invalid', () => {
  const foundationOf = (stack: Stack) => new LlmOpsFoundation(stack, 'Foundation');
  type Setup = (stack: Stack, monitoring: LlmOpsMonitoring) => void;
  const endpoint: Setup = (stack, m) => {
    m.monitorEndpoint(GpuInferenceEndpoint.fromEndpointAttributes(stack, 'Chat', { endpointName: 'chat' }), { acceleratorCount: 4 });
  };
  const aurora: Setup = (stack, m) => {
    const f = foundationOf(stack);
    m.monitorVectorStore(new AuroraPgVectorStore(stack, 'Pg', { dimension: 1024, vpc: f.vpc, encryptionKey: f.encryptionKey }));
  };
  const cases: Array<[string, LlmOpsMonitoringProps, Setup, string, string]> = [
    ['a threshold of 0', { thresholds: { endpoint: { error5xxPercent: { critical: 0 } } } }, endpoint, 'LLMOPS_THRESHOLD_RANGE',
      'thresholds for Chat Error5xxRate.critical 0 must be greater than 0'],
    ['a negative threshold', { thresholds: { endpoint: { modelLatencyP99Ms: { warning: -5 } } } }, endpoint, 'LLMOPS_THRESHOLD_RANGE',
      'thresholds for Chat ModelLatencyP99.warning -5 must be greater than 0'],
    ['a percentage above 100', { thresholds: { endpoint: { diskPercent: { critical: 101 } } } }, endpoint, 'LLMOPS_THRESHOLD_RANGE',
      'thresholds for Chat DiskUtilization.critical 101 is a percentage above 100'],
    ['a per-GPU percentage above 100', { thresholds: { endpoint: { gpuMemoryPercent: { warning: 150 } } } }, endpoint, 'LLMOPS_THRESHOLD_RANGE',
      'thresholds for Chat GpuMemoryUtilization.warning 150 is a percentage above 100'],
    ['a warning above its critical for an alarm that fires above', { thresholds: { endpoint: { error5xxPercent: { warning: 10, critical: 5 } } } }, endpoint,
      'LLMOPS_THRESHOLD_ORDER',
      'thresholds for Chat Error5xxRate.warning 10 is looser than critical (5) in the wrong direction; this alarm fires above its threshold, so warning must be at most critical'],
    ['a warning below its critical for an alarm that fires below', { thresholds: { vectorStore: { freeableMemoryMiB: { warning: 100, critical: 200 } } } }, aurora,
      'LLMOPS_THRESHOLD_ORDER',
      'thresholds for Pg FreeableMemory.warning 100 is looser than critical (200) in the wrong direction; this alarm fires below its threshold, so warning must be at least critical'],
    ['more datapoints to alarm than evaluation periods', {}, (stack, m) => {
      m.monitorEndpoint(GpuInferenceEndpoint.fromEndpointAttributes(stack, 'Chat', { endpointName: 'chat' }), { evaluationPeriods: 2, datapointsToAlarm: 3 });
    }, 'LLMOPS_EVALUATION_PERIODS', 'monitorEndpoint(Chat) options.datapointsToAlarm 3 exceeds evaluationPeriods (2); allowed: at most evaluationPeriods'],
    ['more datapoints to alarm than the default 3 evaluation periods of a vector store', {}, (stack, m) => {
      const f = foundationOf(stack);
      m.monitorVectorStore(new AuroraPgVectorStore(stack, 'Pg', { dimension: 1024, vpc: f.vpc, encryptionKey: f.encryptionKey }), { datapointsToAlarm: 4 });
    }, 'LLMOPS_EVALUATION_PERIODS', 'monitorVectorStore(Pg) options.datapointsToAlarm 4 exceeds evaluationPeriods (3); allowed: at most evaluationPeriods'],
    ['an invalid email address', { alarmEmails: ['ops@example.com', 'ops-at-example'] }, () => undefined, 'LLMOPS_ALARM_EMAIL',
      "alarmEmails[1] 'ops-at-example' is not an email address"],
  ];

  test.each(cases)('%s fails with a message naming the path, the value and what is allowed', (_name, props, setup, code, message) => {
    const stack = newStack();
    const e = validationError(() => setup(stack, new LlmOpsMonitoring(stack, 'Monitoring', props)));
    expect(e.codes).toEqual([code]);
    expect(e.message).toBe(`${WHERE}: ${message} [${code}]`);
  });

  test('valid thresholds and evaluation options given per call pass and apply to that call', () => {
    const stack = newStack();
    const m = new LlmOpsMonitoring(stack, 'Monitoring');
    const chat = GpuInferenceEndpoint.fromEndpointAttributes(stack, 'Chat', { endpointName: 'chat' });
    expect(() => m.monitorEndpoint(chat, { thresholds: { diskPercent: { warning: 70, critical: 85 } }, evaluationPeriods: 5, datapointsToAlarm: 3 })).not.toThrow();
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'TestStack-Chat-DiskUtilization-Warning', Threshold: 70, EvaluationPeriods: 5, DatapointsToAlarm: 3 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'TestStack-Chat-DiskUtilization-Critical', Threshold: 85, EvaluationPeriods: 5, DatapointsToAlarm: 3 });
  });
});

describe('When the facade creates its own topic', () => {
  const stack = newStack();
  new LlmOpsMonitoring(stack, 'Monitoring');
  const t = Template.fromStack(stack);

  test('its key lets CloudWatch alarms and EventBridge rules publish to the encrypted topic', () => {
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'AllowCloudWatchAlarmsToPublish', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
          Match.objectLike({ Sid: 'AllowEventBridgeToPublish', Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
  });
});
