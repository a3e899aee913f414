import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CfnEndpoint } from 'aws-cdk-lib/aws-sagemaker';
import { PropValidator } from '../common/validation';

/** Traffic shifting type of a blue/green endpoint deployment. */
export enum TrafficShiftType {
  /** All traffic at once, after the new fleet is healthy. */
  ALL_AT_ONCE = 'ALL_AT_ONCE',
  /** A canary share first, then the rest. */
  CANARY = 'CANARY',
  /** Equal steps. */
  LINEAR = 'LINEAR',
}

/**
 * How a new endpoint configuration replaces the old one: SageMaker blue/green deployment with traffic shifting,
 * baking periods, and automatic rollback when an alarm fires.
 */
export class DeploymentStrategy {
  /**
   * Shift `sizePercent` of capacity first, wait `wait` while the rollback alarms watch, then shift the rest.
   * SageMaker allows a canary of 1–50 % of the variant's capacity.
   * @param wait baking time after the canary step, 0 s – 1 h
   */
  public static canary(sizePercent: number, wait: Duration): DeploymentStrategy {
    return new DeploymentStrategy(TrafficShiftType.CANARY, sizePercent, wait);
  }

  /**
   * Shift `stepPercent` of capacity at a time, waiting `wait` after each step.
   * SageMaker allows linear steps of 10–50 % of the variant's capacity.
   * @param wait baking time after each step, 0 s – 1 h
   */
  public static linear(stepPercent: number, wait: Duration): DeploymentStrategy {
    return new DeploymentStrategy(TrafficShiftType.LINEAR, stepPercent, wait);
  }

  /**
   * Shift all traffic once the new fleet is healthy, then keep watching the rollback alarms for `wait`.
   * @param wait baking time after the shift, 0 s – 1 h
   * @default wait - 0 seconds
   */
  public static allAtOnce(wait: Duration = Duration.seconds(0)): DeploymentStrategy {
    return new DeploymentStrategy(TrafficShiftType.ALL_AT_ONCE, undefined, wait);
  }

  private constructor(
    /** The traffic shifting type. */
    public readonly type: TrafficShiftType,
    /** Capacity share of the canary or of each linear step, in percent. */
    public readonly sizePercent: number | undefined,
    /** Baking time. */
    public readonly wait: Duration,
  ) {}

  /** Validates the strategy into `v`, naming `prop`. */
  public validate(v: PropValidator, prop: string): void {
    if (this.type === TrafficShiftType.CANARY) {
      v.range('LLMOPS_CANARY_SIZE', `${prop}.strategy canary sizePercent`, this.sizePercent, 1, 50, '% (SageMaker: a canary is at most half the capacity)');
    } else if (this.type === TrafficShiftType.LINEAR) {
      v.range('LLMOPS_LINEAR_STEP', `${prop}.strategy linear stepPercent`, this.sizePercent, 10, 50, '% (SageMaker: each linear step is 10-50 % of the capacity)');
    }
    if (!Token.isUnresolved(this.wait.toSeconds())) {
      v.range('LLMOPS_DEPLOYMENT_WAIT', `${prop}.strategy wait`, this.wait.toSeconds(), 0, 3600, 'seconds');
    }
  }

  /** The TrafficRoutingConfiguration of a BlueGreenUpdatePolicy. */
  public render(): CfnEndpoint.TrafficRoutingConfigProperty {
    const size = this.sizePercent === undefined ? undefined : { type: 'CAPACITY_PERCENT', value: this.sizePercent };
    return {
      type: this.type,
      waitIntervalInSeconds: this.wait.toSeconds(),
      canarySize: this.type === TrafficShiftType.CANARY ? size : undefined,
      linearStepSize: this.type === TrafficShiftType.LINEAR ? size : undefined,
    };
  }
}

/** Deployment guardrails of an endpoint. */
export interface EndpointDeploymentOptions {
  /** How traffic moves to a new endpoint configuration. */
  readonly strategy: DeploymentStrategy;

  /**
   * Alarms that roll the deployment back when any of them fires during the deployment or its baking time.
   * At most 10. More can be added with `addRollbackAlarm()`.
   * @default - none (the deployment rolls back only if the new fleet fails to become healthy)
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];

  /**
   * How long the old fleet is kept after traffic has moved, for a fast manual rollback.
   * @default Duration.seconds(0)
   */
  readonly terminationWait?: Duration;

  /**
   * Maximum time the whole deployment may take (600 s – 8 h); must exceed the baking and termination waits.
   * @default - SageMaker's default
   */
  readonly maximumExecutionTimeout?: Duration;
}
