import { Duration, NestedStack, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { PropValidator, uniqueLowerName } from '../common/validation';
import { LlmOpsFoundation } from '../foundation/llmops-foundation';
import { IamGuardrails } from '../guardrails/iam-guardrails';
import { EndpointMonitoringOptions, LlmOpsMonitoring } from '../monitoring/llmops-monitoring';
import { MonitoringThresholds } from '../monitoring/thresholds';
import { SAGEMAKER_INVOKE_ACTIONS } from '../permissions';
import { GpuInferenceEndpoint, GpuInferenceEndpointProps } from './gpu-inference-endpoint';
import { endpointArnFor, INSTANCE_NAMESPACE, INVOCATION_NAMESPACE } from './inference-endpoint';

/**
 * Most endpoints one fleet holds. Each is one `AWS::CloudFormation::Stack` resource of the fleet's stack, which
 * CloudFormation caps at 500 resources; the rest is left for the foundation and the stack's other resources.
 */
export const MAX_FLEET_ENDPOINTS = 400;

/** Props of {@link EndpointFleet}. */
export interface EndpointFleetProps {
  /**
   * Prefix of every endpoint name (`<fleetName>-<id>`, lower case), of every alarm name, and the filter of the fleet
   * dashboard's searches. Letters, digits and hyphens; with the longest endpoint id, at most 63 characters.
   * @default - a unique, deterministic name derived from the construct path
   */
  readonly fleetName?: string;
  /**
   * The shared key, VPC and data-capture bucket. Every endpoint runs in its private subnets.
   * @default - a new LlmOpsFoundation (customer key with rotation, private VPC without internet egress, buckets)
   */
  readonly foundation?: LlmOpsFoundation;
  /**
   * The topic every alarm of every endpoint notifies.
   * @default - a new topic encrypted with the foundation's key
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Email addresses subscribed to the fleet's new alarm topic (ignored with `alarmTopic`).
   * @default - no subscription
   */
  readonly alarmEmails?: string[];
  /**
   * Alarm thresholds of every endpoint (an endpoint's `monitoring.thresholds` override them).
   * @default - the defaults in the README table
   */
  readonly thresholds?: MonitoringThresholds;
  /**
   * Give each endpoint's nested stack its own {@link IamGuardrails} (permissions boundary and synth-time IAM
   * checks). A nested stack's roles are out of reach of its parent's guardrails.
   * @default true
   */
  readonly guardrails?: boolean;
  /**
   * Retention of every endpoint's log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log groups (and the new foundation) when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** One endpoint of a fleet: the endpoint's props, less what the fleet shares, plus its monitoring. */
export interface FleetEndpointOptions extends Omit<GpuInferenceEndpointProps,
'endpointName' | 'encryptionKey' | 'vpc' | 'vpcSubnets' | 'logRetention' | 'removalPolicy'> {
  /**
   * Alarms of this endpoint (see {@link LlmOpsMonitoring.monitorEndpoint}), or `false` for none.
   * @default - every endpoint alarm at the fleet's thresholds, with rollback alarms when `deployment` is set
   */
  readonly monitoring?: EndpointMonitoringOptions | false;
}

/** One member of a fleet: the endpoint, its nested stack and its alarms. */
export interface FleetMember {
  /** The endpoint. */
  readonly endpoint: GpuInferenceEndpoint;
  /** The nested stack that holds the endpoint, its role, log group, scaling and alarms. */
  readonly stack: NestedStack;
  /** The endpoint's alarms (no dashboard: the fleet has one). Undefined with `monitoring: false`. */
  readonly monitoring?: LlmOpsMonitoring;
}

const FLEET_NAME = /^[a-z0-9](-*[a-z0-9])*$/;
const ENDPOINT_ID = /^[A-Za-z0-9](-*[A-Za-z0-9])*$/;

/**
 * Many GPU inference endpoints in one stack, past CloudFormation's 500-resource limit: each endpoint, with its
 * execution role, log group, auto scaling and alarms, lives in its own nested stack (a fleet of 200 endpoints with
 * monitoring is 200 nested templates of about 30 resources each under one parent).
 *
 * Adding, removing or reordering endpoints never moves or replaces another: a member's nested stack and everything
 * in it are named from its id alone, endpoint names are `<fleetName>-<id>`, and the fleet-wide parts (invoke grants,
 * dashboard) match the name prefix instead of listing endpoints. The fleet dashboard uses CloudWatch metric search
 * on that prefix, so it shows every endpoint without changing when one is added.
 */
export class EndpointFleet extends Construct {
  /** The prefix of every endpoint and alarm name. */
  public readonly fleetName: string;
  /** The shared key, VPC and buckets. */
  public readonly foundation: LlmOpsFoundation;
  /** The topic every alarm notifies. */
  public readonly alarmTopic: sns.ITopic;
  /** The fleet dashboard: invocations, latency, errors and GPU of every endpoint, found by name prefix. */
  public readonly dashboard: cloudwatch.Dashboard;

  private readonly props: EndpointFleetProps;
  private readonly members = new Map<string, FleetMember>();

  constructor(scope: Construct, id: string, props: EndpointFleetProps = {}) {
    super(scope, id);
    this.props = props;
    this.fleetName = props.fleetName ?? uniqueLowerName(this, 40);
    const v = new PropValidator('EndpointFleet', this);
    if (!Token.isUnresolved(this.fleetName)) {
      v.check(FLEET_NAME.test(this.fleetName) && this.fleetName.length <= 50, 'LLMOPS_FLEET_NAME', 'fleetName', this.fleetName,
        'is not a valid fleet name; use lower-case letters, digits and single hyphens, starting and ending with a letter or digit, at most 50 characters');
    }
    v.throwIfInvalid();
    this.foundation = props.foundation ?? new LlmOpsFoundation(this, 'Foundation', { removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN });
    this.alarmTopic = props.alarmTopic ?? new LlmOpsMonitoring(this, 'Alarms', {
      encryptionKey: this.foundation.encryptionKey, alarmEmails: props.alarmEmails, createDashboard: false,
    }).topic;
    this.dashboard = this.createDashboard();
  }

  /** The members, in the order they were added. */
  public get endpoints(): FleetMember[] {
    return [...this.members.values()];
  }

  /**
   * Adds an endpoint named `<fleetName>-<id>` in its own nested stack `<id>`, with its alarms.
   * @param id letters, digits and hyphens; unique in the fleet; never change it, it names the endpoint and its stack
   * @throws LlmOpsValidationError for a bad or duplicate id, a name over 63 characters, or more than
   * {@link MAX_FLEET_ENDPOINTS} endpoints
   */
  public addEndpoint(id: string, options: FleetEndpointOptions): FleetMember {
    const endpointName = `${this.fleetName}-${id.toLowerCase()}`;
    const alarmKey = (x: string) => x.replace(/-/g, '').toLowerCase();
    const clash = [...this.members.keys()].find(k => alarmKey(k) === alarmKey(id));
    const v = new PropValidator('EndpointFleet', this);
    if (!ENDPOINT_ID.test(id)) {
      v.fail('LLMOPS_FLEET_ENDPOINT_ID', 'addEndpoint id', id, 'is not a valid endpoint id; use letters, digits and single hyphens, starting and ending with a letter or digit');
    } else if ([...this.members.keys()].some(k => k.toLowerCase() === id.toLowerCase())) {
      v.fail('LLMOPS_FLEET_ENDPOINT_ID', 'addEndpoint id', id, 'is already an endpoint of this fleet (ids are compared ignoring case, as endpoint names are)');
    } else if (clash !== undefined) {
      v.fail('LLMOPS_FLEET_ENDPOINT_ID', 'addEndpoint id', id,
        `gives the same alarm names as endpoint '${clash}' (alarm names leave out hyphens); choose an id that differs in more than hyphens`);
    } else if (!Token.isUnresolved(this.fleetName) && endpointName.length > 63) {
      v.fail('LLMOPS_FLEET_ENDPOINT_ID', 'addEndpoint id', id, `makes the endpoint name '${endpointName}' ${endpointName.length} characters long; SageMaker allows 63: shorten the id or fleetName`);
    }
    if (this.members.size >= MAX_FLEET_ENDPOINTS) {
      v.fail('LLMOPS_FLEET_TOO_LARGE', 'addEndpoint id', id,
        `would be endpoint ${this.members.size + 1}; one fleet holds at most ${MAX_FLEET_ENDPOINTS} (one nested-stack resource each, under CloudFormation's 500 resources per stack): put further endpoints in a second EndpointFleet in a sibling stack`);
    }
    v.throwIfInvalid();

    const { monitoring, ...endpointProps } = options;
    const stack = new NestedStack(this, id, { description: `cdk-llmops endpoint ${endpointName} of fleet ${this.fleetName}` });
    const endpoint = new GpuInferenceEndpoint(stack, id, {
      ...endpointProps,
      dataCapture: endpointProps.dataCapture?.enabled === false ? endpointProps.dataCapture : { bucket: this.foundation.dataCaptureBucket, ...endpointProps.dataCapture },
      endpointName,
      encryptionKey: this.foundation.encryptionKey,
      vpc: this.foundation.vpc,
      logRetention: this.props.logRetention,
      removalPolicy: this.props.removalPolicy,
    });
    let alarms: LlmOpsMonitoring | undefined;
    if (monitoring !== false) {
      alarms = new LlmOpsMonitoring(stack, 'Monitoring', {
        topic: this.alarmTopic, thresholds: this.props.thresholds, createDashboard: false, alarmNamePrefix: this.fleetName,
      });
      alarms.monitorEndpoint(endpoint, { rollback: options.deployment !== undefined, ...monitoring });
    }
    if (this.props.guardrails ?? true) {
      // Isolation is required only if every model the endpoint built runs isolated (a Hub model cannot).
      const isolated = Object.values(endpoint.cfnModels).every(m => m.enableNetworkIsolation === true);
      new IamGuardrails(stack, 'Guardrails', { requireNetworkIsolation: isolated });
    }
    const member: FleetMember = { endpoint, stack, monitoring: alarms };
    this.members.set(id, member);
    return member;
  }

  /**
   * Grants invoking every endpoint of the fleet, present and future: `sagemaker:InvokeEndpoint` (and its streaming
   * form) on `endpoint/<fleetName>-*`. The grant does not change when endpoints are added.
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: SAGEMAKER_INVOKE_ACTIONS, resourceArns: [endpointArnFor(Stack.of(this), `${this.fleetName}-*`)] });
  }

  private createDashboard(): cloudwatch.Dashboard {
    const stack = Stack.of(this);
    const name = this.fleetName;
    // Metric search matches whole tokens of the dimension value; the quoted prefix matches every `<fleetName>-<id>`.
    const search = (namespace: string, metricName: string, statistic: string) => new cloudwatch.MathExpression({
      expression: `SEARCH('{${namespace},EndpointName,VariantName} MetricName="${metricName}" EndpointName="${name}"', '${statistic}', 300)`,
      usingMetrics: {},
      period: Duration.minutes(5),
    });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: Token.isUnresolved(name) ? undefined : `${name}-fleet`,
      defaultInterval: Duration.hours(6),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({ markdown: `## Endpoint fleet ${name} (stack ${stack.stackName}): every endpoint named ${name}-*`, width: 24, height: 1 }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Invocations per endpoint', width: 8, left: [search(INVOCATION_NAMESPACE, 'Invocations', 'Sum')] }),
      new cloudwatch.GraphWidget({ title: 'Model latency p99 (µs)', width: 8, left: [search(INVOCATION_NAMESPACE, 'ModelLatency', 'p99')] }),
      new cloudwatch.GraphWidget({ title: '5xx errors', width: 8, left: [search(INVOCATION_NAMESPACE, 'Invocation5XXErrors', 'Sum')] }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'GPU utilisation (% over all GPUs)', width: 8, left: [search(INSTANCE_NAMESPACE, 'GPUUtilization', 'Average')] }),
      new cloudwatch.GraphWidget({ title: 'GPU memory (% over all GPUs)', width: 8, left: [search(INSTANCE_NAMESPACE, 'GPUMemoryUtilization', 'Average')] }),
      new cloudwatch.GraphWidget({ title: 'Instances (reporting)', width: 8, left: [search(INSTANCE_NAMESPACE, 'CPUUtilization', 'SampleCount')] }),
    );
    return dashboard;
  }
}
