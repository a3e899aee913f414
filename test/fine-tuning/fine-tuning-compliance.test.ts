import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { FineTuningPipeline, LlmOpsFoundation, ModelSource } from '../../constructs';

// The security gate of the fine-tuning pipeline: synth throws on any unacknowledged cdk-nag finding.
describe('When fine-tuning pipelines are checked against AwsSolutions, HIPAA and NIST 800-53 R5', () => {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app));
  const stack = new Stack(app, 'Gate');
  const foundation = new LlmOpsFoundation(stack, 'Foundation');
  const topic = new sns.Topic(stack, 'Topic', { masterKey: foundation.encryptionKey, enforceSSL: true });
  const alarm = new cloudwatch.Alarm(stack, 'Drift', { metric: new cloudwatch.Metric({ namespace: 'Test', metricName: 'Drift' }), threshold: 1, evaluationPeriods: 1 });
  alarm.addAlarmAction({ bind: () => ({ alarmActionArn: topic.topicArn }) });
  new FineTuningPipeline(stack, 'Pipeline', {
    baseModel: ModelSource.fromBucket(foundation.artifactsBucket, 'models/base/'),
    evaluation: { metric: 'eval_loss', threshold: 1.5 },
    triggers: { schedule: events.Schedule.rate(Duration.days(7)), onNewData: true, alarms: [alarm] },
    notificationTopic: topic,
    vpc: foundation.vpc,
    encryptionKey: foundation.encryptionKey,
  });
  new FineTuningPipeline(stack, 'Standalone', {
    baseModel: ModelSource.huggingFaceHub('mistralai/Mistral-7B-v0.3'),
    evaluation: { metric: 'eval_loss', threshold: 2 },
  });

  test('synth reports no unacknowledged finding', () => {
    expect(() => app.synth()).not.toThrow();
  });
});
