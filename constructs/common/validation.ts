import { Names, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One invalid prop: what was given and what is allowed. */
export interface ValidationProblem {
  /** Stable code that tests and users can match, e.g. `LLMOPS_INSTANCE_NO_GPU`. */
  readonly code: string;
  /** The prop path, e.g. `autoScaling.minCapacity`. */
  readonly prop: string;
  /** The value as given, rendered for the message. */
  readonly value: string;
  /** What is allowed instead. */
  readonly allowed: string;
}

/**
 * The error every cdk-llmops construct throws for bad input.
 *
 * The message names the construct kind and path, each bad prop, its value and what is allowed,
 * with a stable code per problem, e.g.
 * `GpuInferenceEndpoint at 'App/Stack/Chat': autoScaling.minCapacity 5 is greater than autoScaling.maxCapacity 2; ... [LLMOPS_CAPACITY_RANGE]`.
 */
export class LlmOpsValidationError extends Error {
  /** Whether `x` is an LlmOpsValidationError (works across copies of this library). */
  public static isLlmOpsValidationError(x: unknown): x is LlmOpsValidationError {
    return typeof x === 'object' && x !== null && (x as any)[ERROR_SYMBOL] === true;
  }

  /** The codes of every problem, in order. */
  public readonly codes: string[];
  /** Every problem found, in order. */
  public readonly problems: ValidationProblem[];
  /** The construct path, or the API that was called when there is no construct. */
  public readonly where: string;

  constructor(where: string, problems: ValidationProblem[]) {
    super(formatMessage(where, problems));
    this.name = 'LlmOpsValidationError';
    this.where = where;
    this.problems = problems;
    this.codes = problems.map(p => p.code);
    Object.defineProperty(this, ERROR_SYMBOL, { value: true });
  }
}

const ERROR_SYMBOL = Symbol.for('cdk-llmops.LlmOpsValidationError');

function formatMessage(where: string, problems: ValidationProblem[]): string {
  const lines = problems.map(p => `${p.prop} ${p.value} ${p.allowed} [${p.code}]`);
  if (lines.length === 1) return `${where}: ${lines[0]}`;
  return `${where} has ${lines.length} invalid props:\n${lines.map(l => `  - ${l}`).join('\n')}`;
}

/** Renders a value for an error message: strings quoted, objects as JSON. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/**
 * Collects every problem with a construct's props, then throws one {@link LlmOpsValidationError}.
 * Unresolved tokens are never validated.
 */
export class PropValidator {
  private readonly problems: ValidationProblem[] = [];
  private readonly where: string;

  /**
   * @param kind the construct class, e.g. `GpuInferenceEndpoint`
   * @param scope the construct whose props are checked (its path is named in the message); omit for static helpers
   */
  constructor(kind: string, scope?: IConstruct) {
    this.where = scope ? `${kind} at '${scope.node.path}'` : kind;
  }

  /** Records a problem. */
  public fail(code: string, prop: string, value: unknown, allowed: string): this {
    this.problems.push({ code, prop, value: show(value), allowed });
    return this;
  }

  /** Records a problem unless `ok`. */
  public check(ok: boolean, code: string, prop: string, value: unknown, allowed: string): this {
    if (!ok) this.fail(code, prop, value, allowed);
    return this;
  }

  /**
   * Checks that a number (if given and resolved) lies in [min, max] and, unless `fractional`, is an integer.
   * @returns whether the value is a usable resolved number
   */
  public range(code: string, prop: string, value: number | undefined, min: number, max: number, unit = '', fractional = false): boolean {
    if (value === undefined || Token.isUnresolved(value)) return false;
    const u = unit ? ` ${unit}` : '';
    if (!Number.isFinite(value) || value < min || value > max || (!fractional && !Number.isInteger(value))) {
      this.fail(code, prop, value, `is out of range; allowed: ${fractional ? 'a number' : 'an integer'} from ${min} to ${max}${u}`);
      return false;
    }
    return true;
  }

  /**
   * Records problems found by another check, with `prefix` before each prop (e.g. a config path).
   * @param prefix prepended to each problem's prop, e.g. `contentGuardrail.`
   */
  public include(problems: readonly ValidationProblem[], prefix = ''): this {
    for (const p of problems) this.problems.push({ ...p, prop: `${prefix}${p.prop}` });
    return this;
  }

  /** The problems recorded so far. */
  public get recorded(): ValidationProblem[] {
    return [...this.problems];
  }

  /** Whether any problem has been recorded. */
  public get hasProblems(): boolean {
    return this.problems.length > 0;
  }

  /** Throws one error listing every problem recorded so far, if any. */
  public throwIfInvalid(): void {
    if (this.problems.length > 0) throw new LlmOpsValidationError(this.where, [...this.problems]);
  }
}


/** An AWS account ID: 12 digits. */
export const AWS_ACCOUNT_ID = /^\d{12}$/;

/** A SageMaker endpoint or variant name: 1-63 letters, digits and '-', starting and ending with a letter or digit. */
export const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * A unique, deterministic name derived from the construct path, at most `maxLength` characters: aws-cdk-lib's
 * unique resource name (separator `-`), with everything but letters, digits and `-` removed, in lower case.
 */
export function uniqueLowerName(scope: IConstruct, maxLength: number): string {
  return Names.uniqueResourceName(scope, { maxLength, separator: '-' }).replace(/[^a-zA-Z0-9-]/g, '').toLowerCase();
}

/** An AWS region name, e.g. `eu-west-1`, `us-gov-west-1`. */
export const AWS_REGION_NAME = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/** An email address, as SNS email subscriptions accept it (something@domain.tld). */
export const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
