import { createHash } from 'crypto';
import { Arn, ArnFormat, IResource, Lazy, Names, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import { CfnGuardrail, CfnGuardrailProps, CfnGuardrailVersion } from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { PropValidator, ValidationProblem } from '../common/validation';
import { customerKeyProps } from '../foundation/secure-defaults';
import { BEDROCK_APPLY_GUARDRAIL_ACTIONS } from '../permissions';

/** A harm category that a content filter checks prompts and answers for. */
export enum ContentFilterType {
  /** Discrimination, criticism or dehumanisation of people for an identity (race, religion, gender, ...). */
  HATE = 'HATE',
  /** Demeaning, humiliating, mocking or bullying language. */
  INSULTS = 'INSULTS',
  /** Sexual interest, activity or arousal. */
  SEXUAL = 'SEXUAL',
  /** Glorification of, or threats of, physical harm. */
  VIOLENCE = 'VIOLENCE',
  /** Seeking or giving help with criminal activity or harming others. */
  MISCONDUCT = 'MISCONDUCT',
  /** Jailbreaks and prompt injection. Prompts only: its output strength must be `NONE`. */
  PROMPT_ATTACK = 'PROMPT_ATTACK',
}

/** How strongly a content filter blocks: the higher, the lower the confidence at which content is blocked. */
export enum FilterStrength {
  /** The filter is off for this direction. */
  NONE = 'NONE',
  /** Blocks only content classified harmful with high confidence. */
  LOW = 'LOW',
  /** Blocks content classified harmful with medium or high confidence. */
  MEDIUM = 'MEDIUM',
  /** Blocks content classified harmful with low, medium or high confidence. */
  HIGH = 'HIGH',
}

/** One content filter: a harm category and its strength on prompts (input) and answers (output). */
export interface ContentFilter {
  /** The harm category. */
  readonly type: ContentFilterType;
  /** Strength on prompts. */
  readonly inputStrength: FilterStrength;
  /** Strength on model answers. Must be `NONE` for `PROMPT_ATTACK`. */
  readonly outputStrength: FilterStrength;
}

/**
 * A personally identifiable information (PII) type that Bedrock Guardrails detect: exactly the values that the
 * `AWS::Bedrock::Guardrail` CloudFormation schema accepts for `PiiEntitiesConfig[].Type`.
 */
export enum PiiEntityType {
  /** A physical address. */
  ADDRESS = 'ADDRESS',
  /** An age, e.g. "40 years". */
  AGE = 'AGE',
  /** An AWS access key ID. */
  AWS_ACCESS_KEY = 'AWS_ACCESS_KEY',
  /** An AWS secret access key. */
  AWS_SECRET_KEY = 'AWS_SECRET_KEY',
  /** A Canadian Health Service Number. */
  CA_HEALTH_NUMBER = 'CA_HEALTH_NUMBER',
  /** A Canadian Social Insurance Number. */
  CA_SOCIAL_INSURANCE_NUMBER = 'CA_SOCIAL_INSURANCE_NUMBER',
  /** A card verification code. */
  CREDIT_DEBIT_CARD_CVV = 'CREDIT_DEBIT_CARD_CVV',
  /** A card expiry date. */
  CREDIT_DEBIT_CARD_EXPIRY = 'CREDIT_DEBIT_CARD_EXPIRY',
  /** A credit or debit card number. */
  CREDIT_DEBIT_CARD_NUMBER = 'CREDIT_DEBIT_CARD_NUMBER',
  /** A driver's licence number. */
  DRIVER_ID = 'DRIVER_ID',
  /** An email address. */
  EMAIL = 'EMAIL',
  /** An IBAN. */
  INTERNATIONAL_BANK_ACCOUNT_NUMBER = 'INTERNATIONAL_BANK_ACCOUNT_NUMBER',
  /** An IPv4 address. */
  IP_ADDRESS = 'IP_ADDRESS',
  /** A vehicle licence plate. */
  LICENSE_PLATE = 'LICENSE_PLATE',
  /** A MAC address. */
  MAC_ADDRESS = 'MAC_ADDRESS',
  /** A person's name. */
  NAME = 'NAME',
  /** A password. */
  PASSWORD = 'PASSWORD',
  /** A phone, fax or pager number. */
  PHONE = 'PHONE',
  /** A personal identification number. */
  PIN = 'PIN',
  /** A SWIFT / BIC bank code. */
  SWIFT_CODE = 'SWIFT_CODE',
  /** A UK NHS number. */
  UK_NATIONAL_HEALTH_SERVICE_NUMBER = 'UK_NATIONAL_HEALTH_SERVICE_NUMBER',
  /** A UK National Insurance Number. */
  UK_NATIONAL_INSURANCE_NUMBER = 'UK_NATIONAL_INSURANCE_NUMBER',
  /** A UK Unique Taxpayer Reference. */
  UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER = 'UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER',
  /** A web address. */
  URL = 'URL',
  /** A user name or handle. */
  USERNAME = 'USERNAME',
  /** A US bank account number. */
  US_BANK_ACCOUNT_NUMBER = 'US_BANK_ACCOUNT_NUMBER',
  /** A US bank routing number. */
  US_BANK_ROUTING_NUMBER = 'US_BANK_ROUTING_NUMBER',
  /** A US Individual Taxpayer Identification Number. */
  US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER = 'US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER',
  /** A US passport number. */
  US_PASSPORT_NUMBER = 'US_PASSPORT_NUMBER',
  /** A US Social Security Number. */
  US_SOCIAL_SECURITY_NUMBER = 'US_SOCIAL_SECURITY_NUMBER',
  /** A vehicle identification number (VIN). */
  VEHICLE_IDENTIFICATION_NUMBER = 'VEHICLE_IDENTIFICATION_NUMBER',
}

/** What the guardrail does with a detected PII entity. */
export enum PiiAction {
  /** Block the whole prompt or answer and return the blocked message. */
  BLOCK = 'BLOCK',
  /** Replace the entity with its type tag, e.g. `{EMAIL}`, and let the rest through. */
  ANONYMIZE = 'ANONYMIZE',
}

/** One PII entity type and the action taken when it is detected. */
export interface PiiEntity {
  /** The entity type. */
  readonly type: PiiEntityType;
  /** What to do when it is detected. */
  readonly action: PiiAction;
}

/** A topic the assistant must refuse to discuss. */
export interface DeniedTopic {
  /** Name: 1–100 letters, digits, spaces and `- _ ! ? .`; unique within the guardrail. */
  readonly name: string;
  /** What the topic covers, in 1–1000 characters, e.g. "Advice on which stocks or funds to buy or sell." */
  readonly definition: string;
  /**
   * Up to 5 example prompts on the topic (each 1–100 characters).
   * @default - no examples
   */
  readonly examples?: string[];
}

/** A Bedrock guardrail applied to prompts and answers through the ApplyGuardrail API, owned or imported. */
export interface IContentGuardrail extends IResource {
  /** The guardrail ID. @attribute */
  readonly guardrailId: string;
  /** The guardrail ARN (without version). @attribute */
  readonly guardrailArn: string;
  /** The guardrail version applications should pass to ApplyGuardrail (a number, or `DRAFT`). @attribute */
  readonly guardrailVersion: string;
  /** The customer managed key the guardrail is encrypted with, if known. */
  readonly encryptionKey?: kms.IKey;

  /**
   * Lets `grantee` call ApplyGuardrail with this guardrail: `bedrock:ApplyGuardrail` on the guardrail ARN, and
   * `kms:Decrypt` on its key when the key is known.
   */
  grantApply(grantee: iam.IGrantable): iam.Grant;
}

/** Attributes to import an existing guardrail. */
export interface ContentGuardrailAttributes {
  /** The guardrail ARN, `arn:<partition>:bedrock:<region>:<account>:guardrail/<id>`. */
  readonly guardrailArn: string;
  /** The version to apply: a number such as `'3'`, or `'DRAFT'` (the unpublished working copy). */
  readonly guardrailVersion: string;
  /**
   * The customer managed key the guardrail is encrypted with; `grantApply` then also grants `kms:Decrypt` on it.
   * @default - unknown: grantApply grants only bedrock:ApplyGuardrail
   */
  readonly encryptionKey?: kms.IKey;
}

/** Props of {@link ContentGuardrail}. Every list replaces its default entirely; pass `[]` to turn a policy off. */
export interface ContentGuardrailProps {
  /**
   * Guardrail name: 1–50 letters, digits, `-` and `_`.
   * @default - derived from the construct path (unique in the account and region)
   */
  readonly guardrailName?: string;
  /**
   * Description of the guardrail (1–200 characters).
   * @default - "Content guardrail of <construct path>"
   */
  readonly description?: string;
  /**
   * Content filters, at most one per type. Replaces the defaults: a type you leave out is not filtered, and `[]`
   * turns content filtering off. To change one filter, start from `ContentGuardrail.DEFAULT_CONTENT_FILTERS`.
   * @default ContentGuardrail.DEFAULT_CONTENT_FILTERS - HATE, INSULTS, SEXUAL, VIOLENCE and MISCONDUCT at HIGH on prompts
   * and answers; PROMPT_ATTACK at HIGH on prompts (NONE on answers, the only value Bedrock allows there)
   */
  readonly contentFilters?: readonly ContentFilter[];
  /**
   * PII entity types to block or anonymize, each at most once. Replaces the defaults; `[]` turns PII detection off.
   * To add a type, spread `ContentGuardrail.DEFAULT_PII_ENTITIES` into your list.
   * @default ContentGuardrail.DEFAULT_PII_ENTITIES - credentials, card, bank, tax and national ID numbers blocked;
   * NAME, EMAIL, PHONE and ADDRESS anonymized
   */
  readonly piiEntities?: readonly PiiEntity[];
  /**
   * Topics to refuse (at most 30, names unique).
   * @default - no denied topics
   */
  readonly deniedTopics?: readonly DeniedTopic[];
  /**
   * Custom words or phrases to block (each 1–100 characters, at most 10,000, no repeats).
   * @default - no custom words
   */
  readonly words?: readonly string[];
  /**
   * Block the AWS managed profanity word list (`PROFANITY`) in prompts and answers. `false` turns it off.
   * @default true
   */
  readonly profanityFilter?: boolean;
  /**
   * The message ApplyGuardrail returns in place of a blocked prompt (1–500 characters).
   * @default ContentGuardrail.DEFAULT_BLOCKED_INPUT_MESSAGE
   */
  readonly blockedInputMessage?: string;
  /**
   * The message ApplyGuardrail returns in place of a blocked answer (1–500 characters).
   * @default ContentGuardrail.DEFAULT_BLOCKED_OUTPUT_MESSAGE
   */
  readonly blockedOutputMessage?: string;
  /**
   * Customer managed key the guardrail is encrypted with. Must be a key, not an alias.
   * @default - a new key with yearly rotation, created in this construct and retained on delete
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Description of the published version (1–178 characters). The construct appends a fingerprint of the
   * configuration, ` [config <12 hex digits>]`, so that every configuration change publishes a new version.
   * @default - "Published configuration of <construct path>"
   */
  readonly versionDescription?: string;
}

// Limits of AWS::Bedrock::Guardrail as its CloudFormation schema states them (checked with aws-cdk-lib's bundled
// schema validator), plus the word length limit of the Bedrock API (GuardrailWordConfig.text: 1-100).
const NAME_MAX = 50;
const DESCRIPTION_MAX = 200;
const MESSAGE_MAX = 500;
const TOPICS_MAX = 30;
const TOPIC_NAME_MAX = 100;
const DEFINITION_MAX = 1000;
const EXAMPLES_MAX = 5;
const EXAMPLE_MAX = 100;
const WORDS_MAX = 10000;
const WORD_MAX = 100;
const GUARDRAIL_NAME = /^[0-9a-zA-Z_-]+$/;
const TOPIC_NAME = /^[0-9a-zA-Z\-_ !?.]+$/;
const KMS_KEY_ARN = /^arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:key\/[a-zA-Z0-9-]{36}$/;
const GUARDRAIL_ARN = /^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+$/;
const GUARDRAIL_VERSION = /^(([1-9][0-9]{0,7})|(DRAFT))$/;
const FINGERPRINT_SUFFIX_LENGTH = ' [config 0123456789ab]'.length;
const VERSION_DESCRIPTION_MAX = DESCRIPTION_MAX - FINGERPRINT_SUFFIX_LENGTH;

const FILTER_TYPES: readonly string[] = Object.values(ContentFilterType);
const STRENGTHS: readonly string[] = Object.values(FilterStrength);
const PII_TYPES: readonly string[] = Object.values(PiiEntityType);
const PII_ACTIONS: readonly string[] = Object.values(PiiAction);

/** Implements the grant once, so owned and imported guardrails behave alike. */
abstract class ContentGuardrailBase extends Resource implements IContentGuardrail {
  public abstract readonly guardrailId: string;
  public abstract readonly guardrailArn: string;
  public abstract readonly guardrailVersion: string;
  public abstract readonly encryptionKey?: kms.IKey;

  public grantApply(grantee: iam.IGrantable): iam.Grant {
    // ApplyGuardrail authorizes on the guardrail ARN (no version suffix): the Bedrock User Guide's
    // "Set up permissions to use Amazon Bedrock Guardrails" scopes bedrock:ApplyGuardrail to
    // arn:aws:bedrock:<region>:<account>:guardrail/<guardrail-id>.
    const grant = iam.Grant.addToPrincipal({ grantee, actions: BEDROCK_APPLY_GUARDRAIL_ACTIONS, resourceArns: [this.guardrailArn] });
    // The User Guide's customer managed key page gives guardrail users kms:Decrypt on the key. It does not say
    // whether a caller of ApplyGuardrail itself needs it (or only Bedrock on its behalf); granting it is the safe side.
    return this.encryptionKey ? grant.combine(this.encryptionKey.grantDecrypt(grantee)) : grant;
  }
}

/**
 * A Bedrock guardrail for the prompts and answers of a model that is not on Bedrock (e.g. a SageMaker endpoint):
 * the application sends each prompt and each answer to the ApplyGuardrail API with `guardrailId` and
 * `guardrailVersion`. Secure by default: all six content filters, PII blocking and masking, the profanity list,
 * encryption with a customer managed key, and a published version that follows every configuration change.
 *
 * Each list prop replaces its default; `[]` turns that policy off, and `profanityFilter: false` turns off the
 * profanity list. At least one policy must stay on.
 */
export class ContentGuardrail extends ContentGuardrailBase {
  /** The default content filters: five harm categories at HIGH both ways, prompt attacks at HIGH on prompts. */
  public static readonly DEFAULT_CONTENT_FILTERS: readonly ContentFilter[] = Object.freeze([
    ...[ContentFilterType.HATE, ContentFilterType.INSULTS, ContentFilterType.SEXUAL, ContentFilterType.VIOLENCE, ContentFilterType.MISCONDUCT]
      .map(type => Object.freeze({ type, inputStrength: FilterStrength.HIGH, outputStrength: FilterStrength.HIGH })),
    Object.freeze({ type: ContentFilterType.PROMPT_ATTACK, inputStrength: FilterStrength.HIGH, outputStrength: FilterStrength.NONE }),
  ]);

  /**
   * The default PII policy: secrets and credentials-style numbers (keys, passwords, PINs, card, bank, tax and
   * national ID numbers) block the message; contact details (name, email, phone, address) are anonymized.
   */
  public static readonly DEFAULT_PII_ENTITIES: readonly PiiEntity[] = Object.freeze([
    ...[
      PiiEntityType.AWS_ACCESS_KEY, PiiEntityType.AWS_SECRET_KEY, PiiEntityType.PASSWORD, PiiEntityType.PIN,
      PiiEntityType.CREDIT_DEBIT_CARD_NUMBER, PiiEntityType.CREDIT_DEBIT_CARD_CVV, PiiEntityType.CREDIT_DEBIT_CARD_EXPIRY,
      PiiEntityType.US_BANK_ACCOUNT_NUMBER, PiiEntityType.US_BANK_ROUTING_NUMBER, PiiEntityType.INTERNATIONAL_BANK_ACCOUNT_NUMBER,
      PiiEntityType.US_SOCIAL_SECURITY_NUMBER, PiiEntityType.US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER, PiiEntityType.US_PASSPORT_NUMBER,
      PiiEntityType.CA_SOCIAL_INSURANCE_NUMBER, PiiEntityType.UK_NATIONAL_INSURANCE_NUMBER,
    ].map(type => Object.freeze({ type, action: PiiAction.BLOCK })),
    ...[PiiEntityType.NAME, PiiEntityType.EMAIL, PiiEntityType.PHONE, PiiEntityType.ADDRESS]
      .map(type => Object.freeze({ type, action: PiiAction.ANONYMIZE })),
  ]);

  /** The default message in place of a blocked prompt. */
  public static readonly DEFAULT_BLOCKED_INPUT_MESSAGE =
    'Sorry, I can\'t help with that request: it contains content or personal data this assistant is not allowed to process.';

  /** The default message in place of a blocked answer. */
  public static readonly DEFAULT_BLOCKED_OUTPUT_MESSAGE =
    'Sorry, I can\'t give that answer: it would contain content or personal data this assistant is not allowed to share.';

  /**
   * Imports an existing guardrail. Give its key so that `grantApply` also grants `kms:Decrypt`.
   * @throws LlmOpsValidationError when a resolved ARN or version is malformed
   */
  public static fromGuardrailAttributes(scope: Construct, id: string, attrs: ContentGuardrailAttributes): IContentGuardrail {
    // Checked before the construct exists: parsing a malformed ARN would throw an error of its own.
    const v = new PropValidator(`ContentGuardrail at '${scope.node.path}/${id}'`);
    if (!Token.isUnresolved(attrs.guardrailArn)) {
      v.check(GUARDRAIL_ARN.test(attrs.guardrailArn), 'LLMOPS_GUARDRAIL_ARN', 'guardrailArn', attrs.guardrailArn,
        'is not a guardrail ARN; allowed: arn:<partition>:bedrock:<region>:<account>:guardrail/<id> (lower-case letters and digits)');
    }
    if (!Token.isUnresolved(attrs.guardrailVersion)) {
      v.check(GUARDRAIL_VERSION.test(attrs.guardrailVersion), 'LLMOPS_GUARDRAIL_VERSION', 'guardrailVersion', attrs.guardrailVersion,
        "is not a guardrail version; allowed: a version number from 1 to 99999999, or 'DRAFT'");
    }
    v.throwIfInvalid();

    class Import extends ContentGuardrailBase {
      public readonly guardrailArn = attrs.guardrailArn;
      public readonly guardrailId = Arn.split(attrs.guardrailArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName!;
      public readonly guardrailVersion = attrs.guardrailVersion;
      public readonly encryptionKey = attrs.encryptionKey;
    }
    return new Import(scope, id, { environmentFromArn: attrs.guardrailArn });
  }

  /** The guardrail ID. @attribute */
  public readonly guardrailId: string;
  /** The guardrail ARN (without version). @attribute */
  public readonly guardrailArn: string;
  /**
   * The published version (from the `AWS::Bedrock::GuardrailVersion` resource). It is replaced, and so numbered
   * anew, whenever the guardrail's configuration changes. @attribute
   */
  public readonly guardrailVersion: string;
  /** The guardrail name. */
  public readonly guardrailName: string;
  /** The customer managed key the guardrail is encrypted with (the given key, or the one this construct created). */
  public readonly encryptionKey: kms.IKey;
  /** The L1 guardrail. */
  public readonly cfnGuardrail: CfnGuardrail;
  /** The L1 guardrail version. */
  public readonly cfnGuardrailVersion: CfnGuardrailVersion;

  constructor(scope: Construct, id: string, props: ContentGuardrailProps = {}) {
    super(scope, id);
    // Layer 1: secure defaults; layer 2: the caller's replacements.
    this.guardrailName = props.guardrailName ?? Names.uniqueResourceName(this, { maxLength: NAME_MAX, separator: '-' });
    const description = props.description ?? `Content guardrail of ${this.node.path}`.slice(0, DESCRIPTION_MAX);
    const { filters, pii, topics, words, profanity, blockedInput, blockedOutput } = resolvePolicies(props);
    const versionDescription = props.versionDescription
      ?? `Published configuration of ${this.node.path}`.slice(0, VERSION_DESCRIPTION_MAX);

    // Layer 3: what must hold.
    const v = new PropValidator('ContentGuardrail', this);
    checkText(v, 'LLMOPS_GUARDRAIL_NAME', 'guardrailName', this.guardrailName, NAME_MAX,
      `1-${NAME_MAX} letters, digits, '-' and '_'`, GUARDRAIL_NAME);
    checkText(v, 'LLMOPS_GUARDRAIL_DESCRIPTION', 'description', description, DESCRIPTION_MAX, `1-${DESCRIPTION_MAX} characters`);
    checkText(v, 'LLMOPS_GUARDRAIL_DESCRIPTION', 'versionDescription', versionDescription, VERSION_DESCRIPTION_MAX,
      `1-${VERSION_DESCRIPTION_MAX} characters (the construct appends a ${FINGERPRINT_SUFFIX_LENGTH}-character configuration fingerprint)`);
    v.include(contentGuardrailPolicyProblems(props));
    if (props.encryptionKey) checkKey(v, props.encryptionKey);
    v.throwIfInvalid();

    this.encryptionKey = props.encryptionKey
      ?? new kms.Key(this, 'Key', customerKeyProps(`Encrypts the Bedrock guardrail of ${this.node.path}`, RemovalPolicy.RETAIN));

    // Policies left empty are omitted: the schema wants at least one item in each list it is given.
    const guardrailProps: CfnGuardrailProps = {
      name: this.guardrailName,
      description,
      blockedInputMessaging: blockedInput,
      blockedOutputsMessaging: blockedOutput,
      kmsKeyArn: this.encryptionKey.keyArn,
      contentPolicyConfig: filters.length
        ? { filtersConfig: filters.map(f => ({ type: f.type, inputStrength: f.inputStrength, outputStrength: f.outputStrength })) }
        : undefined,
      sensitiveInformationPolicyConfig: pii.length
        ? { piiEntitiesConfig: pii.map(p => ({ type: p.type, action: p.action })) }
        : undefined,
      topicPolicyConfig: topics.length
        ? { topicsConfig: topics.map(t => ({ name: t.name, definition: t.definition, examples: t.examples?.length ? [...t.examples] : undefined, type: 'DENY' })) }
        : undefined,
      wordPolicyConfig: words.length || profanity
        ? {
          wordsConfig: words.length ? words.map(text => ({ text })) : undefined,
          managedWordListsConfig: profanity ? [{ type: 'PROFANITY' }] : undefined,
        }
        : undefined,
    };
    this.cfnGuardrail = new CfnGuardrail(this, 'Resource', guardrailProps);
    this.guardrailId = this.cfnGuardrail.attrGuardrailId;
    this.guardrailArn = this.cfnGuardrail.attrGuardrailArn;

    // A GuardrailVersion snapshots the guardrail once, at creation, and its Description is create-only. With a
    // fingerprint of the configuration in the description, every configuration change replaces the version
    // resource, which publishes a new version of the updated guardrail (and deletes the old one).
    const stack = Stack.of(this);
    this.cfnGuardrailVersion = new CfnGuardrailVersion(this, 'Version', {
      guardrailIdentifier: this.guardrailId,
      description: Lazy.string({
        produce: () => `${versionDescription} [config ${fingerprint(JSON.stringify(stack.resolve(guardrailProps)))}]`,
      }),
    });
    this.guardrailVersion = this.cfnGuardrailVersion.attrVersion;
  }
}

/**
 * The problems of a guardrail's policies (content filters, PII entities, denied topics, words, blocked messages),
 * with the defaults of {@link ContentGuardrail} for what is left out; an empty list when they are valid. The props
 * name the fields as in {@link ContentGuardrailProps}, so a caller can prefix them (a configuration path).
 */
export function contentGuardrailPolicyProblems(props: ContentGuardrailProps): ValidationProblem[] {
  const v = new PropValidator('ContentGuardrail');
  const { filters, pii, topics, words, profanity, blockedInput, blockedOutput } = resolvePolicies(props);
  checkText(v, 'LLMOPS_GUARDRAIL_MESSAGE', 'blockedInputMessage', blockedInput, MESSAGE_MAX, `1-${MESSAGE_MAX} characters`);
  checkText(v, 'LLMOPS_GUARDRAIL_MESSAGE', 'blockedOutputMessage', blockedOutput, MESSAGE_MAX, `1-${MESSAGE_MAX} characters`);
  checkFilters(v, filters);
  checkPii(v, pii);
  checkTopics(v, topics);
  checkWords(v, words);
  if (filters.length === 0 && pii.length === 0 && topics.length === 0 && words.length === 0 && !profanity) {
    v.fail('LLMOPS_GUARDRAIL_NO_POLICY', 'props', 'every policy off',
      'leaves nothing to check; allowed: at least one content filter, PII entity, denied topic or word, or profanityFilter: true');
  }
  return v.recorded;
}

/** A guardrail's policies and blocked messages: the props, with the defaults of {@link ContentGuardrail} for what is left out. */
function resolvePolicies(props: ContentGuardrailProps) {
  return {
    filters: props.contentFilters ?? ContentGuardrail.DEFAULT_CONTENT_FILTERS,
    pii: props.piiEntities ?? ContentGuardrail.DEFAULT_PII_ENTITIES,
    topics: props.deniedTopics ?? [],
    words: props.words ?? [],
    profanity: props.profanityFilter ?? true,
    blockedInput: props.blockedInputMessage ?? ContentGuardrail.DEFAULT_BLOCKED_INPUT_MESSAGE,
    blockedOutput: props.blockedOutputMessage ?? ContentGuardrail.DEFAULT_BLOCKED_OUTPUT_MESSAGE,
  };
}

/** The first 12 hex digits of the SHA-256 of `text`. */
function fingerprint(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Renders a long value as its first 40 characters, so messages stay readable. */
function preview(value: string): string {
  return value.length > 80 ? `${value.slice(0, 40)}... (${value.length} characters)` : value;
}

/** Checks a resolved string: not blank, at most `max` characters, and (if given) matching `pattern`. */
function checkText(v: PropValidator, code: string, prop: string, value: string, max: number, allowed: string, pattern?: RegExp): void {
  if (Token.isUnresolved(value)) return;
  if (typeof value !== 'string' || value.trim() === '') {
    v.fail(code, prop, value, `is empty; allowed: ${allowed}`);
  } else if (value.length > max) {
    v.fail(code, prop, preview(value), `is ${value.length} characters long; allowed: ${allowed}`);
  } else if (pattern && !pattern.test(value)) {
    v.fail(code, prop, value, `has characters that are not allowed; allowed: ${allowed}`);
  }
}

/** Records a duplicate for every entry of `keys` (resolved, non-empty) that repeats an earlier one. */
function checkDuplicates(v: PropValidator, list: string, field: string, keys: readonly unknown[], allowed: string): void {
  const first = new Map<unknown, number>();
  keys.forEach((key, i) => {
    if (key === undefined || key === '' || (typeof key === 'string' && Token.isUnresolved(key))) return;
    const at = first.get(key);
    const prop = field ? `${list}[${i}].${field}` : `${list}[${i}]`;
    if (at === undefined) first.set(key, i);
    else v.fail('LLMOPS_GUARDRAIL_DUPLICATE', prop, key, `repeats ${field ? `${list}[${at}].${field}` : `${list}[${at}]`}; allowed: ${allowed}`);
  });
}

/** Checks a list length against a limit. */
function checkCount(v: PropValidator, prop: string, length: number, max: number, what: string): void {
  v.check(length <= max, 'LLMOPS_GUARDRAIL_LIMIT', `${prop}.length`, length, `exceeds the limit; allowed: at most ${max} ${what}`);
}

function checkFilters(v: PropValidator, filters: readonly ContentFilter[]): void {
  filters.forEach((f, i) => {
    const at = `contentFilters[${i}]`;
    if (!Token.isUnresolved(f.type)) {
      v.check(FILTER_TYPES.includes(f.type), 'LLMOPS_GUARDRAIL_FILTER_TYPE', `${at}.type`, f.type,
        `is not a content filter type; allowed: ${FILTER_TYPES.join(', ')}`);
    }
    for (const side of ['inputStrength', 'outputStrength'] as const) {
      if (Token.isUnresolved(f[side])) continue;
      v.check(STRENGTHS.includes(f[side]), 'LLMOPS_GUARDRAIL_FILTER_STRENGTH', `${at}.${side}`, f[side],
        `is not a filter strength; allowed: ${STRENGTHS.join(', ')}`);
    }
    if (f.type === ContentFilterType.PROMPT_ATTACK && STRENGTHS.includes(f.outputStrength) && f.outputStrength !== FilterStrength.NONE) {
      v.fail('LLMOPS_GUARDRAIL_PROMPT_ATTACK_OUTPUT', `${at}.outputStrength`, f.outputStrength,
        'is not supported for PROMPT_ATTACK: Bedrock checks prompt attacks on prompts only; allowed: NONE');
    }
  });
  checkDuplicates(v, 'contentFilters', 'type', filters.map(f => f.type), 'one filter per type');
}

function checkPii(v: PropValidator, entities: readonly PiiEntity[]): void {
  entities.forEach((p, i) => {
    if (!Token.isUnresolved(p.type)) {
      v.check(PII_TYPES.includes(p.type), 'LLMOPS_GUARDRAIL_PII_TYPE', `piiEntities[${i}].type`, p.type,
        `is not a PII entity type that Bedrock Guardrails detect; allowed: ${PII_TYPES.join(', ')}`);
    }
    if (!Token.isUnresolved(p.action)) {
      v.check(PII_ACTIONS.includes(p.action), 'LLMOPS_GUARDRAIL_PII_ACTION', `piiEntities[${i}].action`, p.action,
        `is not a PII action; allowed: ${PII_ACTIONS.join(', ')}`);
    }
  });
  checkDuplicates(v, 'piiEntities', 'type', entities.map(p => p.type), 'each entity type once');
}

function checkTopics(v: PropValidator, topics: readonly DeniedTopic[]): void {
  checkCount(v, 'deniedTopics', topics.length, TOPICS_MAX, 'denied topics');
  topics.forEach((t, i) => {
    const at = `deniedTopics[${i}]`;
    checkText(v, 'LLMOPS_GUARDRAIL_TOPIC_NAME', `${at}.name`, t.name, TOPIC_NAME_MAX,
      `1-${TOPIC_NAME_MAX} letters, digits, spaces and - _ ! ? .`, TOPIC_NAME);
    checkText(v, 'LLMOPS_GUARDRAIL_TOPIC_DEFINITION', `${at}.definition`, t.definition, DEFINITION_MAX, `1-${DEFINITION_MAX} characters`);
    const examples = t.examples ?? [];
    checkCount(v, `${at}.examples`, examples.length, EXAMPLES_MAX, 'examples per topic');
    examples.forEach((e, j) =>
      checkText(v, 'LLMOPS_GUARDRAIL_TOPIC_EXAMPLE', `${at}.examples[${j}]`, e, EXAMPLE_MAX, `1-${EXAMPLE_MAX} characters`));
  });
  checkDuplicates(v, 'deniedTopics', 'name', topics.map(t => t.name), 'a unique name per topic');
}

function checkWords(v: PropValidator, words: readonly string[]): void {
  checkCount(v, 'words', words.length, WORDS_MAX, 'words');
  words.forEach((w, i) => checkText(v, 'LLMOPS_GUARDRAIL_WORD', `words[${i}]`, w, WORD_MAX, `1-${WORD_MAX} characters`));
  checkDuplicates(v, 'words', '', words, 'each word once');
}

function checkKey(v: PropValidator, key: kms.IKey): void {
  // An alias ARN keeps its literal ':alias/' part even when its account and region are tokens.
  if (key.keyArn.includes(':alias/')) {
    v.fail('LLMOPS_GUARDRAIL_KMS_KEY', 'encryptionKey', key.keyArn,
      'is a key alias; allowed: a key ARN, arn:<partition>:kms:<region>:<account>:key/<key-id> (the guardrail names the key itself)');
  } else if (!Token.isUnresolved(key.keyArn)) {
    v.check(KMS_KEY_ARN.test(key.keyArn), 'LLMOPS_GUARDRAIL_KMS_KEY', 'encryptionKey', key.keyArn,
      'is not a KMS key ARN; allowed: arn:<partition>:kms:<region>:<account>:key/<key-id>');
  }
}
