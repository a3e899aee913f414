import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, PolicyValidationPluginReport, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { LeastPrivilegeRole } from '../../constructs/common/least-privilege-role';
import {
  ContentFilter, ContentFilterType, ContentGuardrail, ContentGuardrailProps, DeniedTopic, FilterStrength, PiiAction, PiiEntityType,
} from '../../constructs/guardrails/content-guardrail';
import { newStack, validatedSynth, validationError } from '../util';

const { HIGH, MEDIUM, LOW, NONE } = FilterStrength;
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const GUARDRAIL_ARN = 'arn:aws:bedrock:eu-west-1:111122223333:guardrail/abc123def456';

/** The only properties of the template's one resource of `type`. */
function onlyProperties(t: Template, type: string): Record<string, any> {
  const resources = Object.values(t.findResources(type));
  expect(resources).toHaveLength(1);
  return resources[0].Properties;
}

/** The statements of the policy attached to `role`. */
function statementsOf(t: Template, stack: Stack, role: iam.Role): unknown[] {
  const policies = Object.values(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(role.roleName)] } }));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

function appRole(stack: Stack, id = 'App'): iam.Role {
  return new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
}

describe('When a guardrail is created with no props', () => {
  const stack = newStack();
  const guardrail = new ContentGuardrail(stack, 'Guardrail');
  const t = Template.fromStack(stack);
  const props = onlyProperties(t, 'AWS::Bedrock::Guardrail');
  const guardrailId = stack.getLogicalId(guardrail.cfnGuardrail);
  const keyId = stack.getLogicalId(guardrail.encryptionKey.node.defaultChild as kms.CfnKey);

  test('the name is derived from the construct path and fits the Bedrock name pattern and length', () => {
    expect(guardrail.guardrailName).toMatch(/^TestStack-Guardrail-[0-9A-F]{8}$/);
    expect(guardrail.guardrailName).toMatch(/^[0-9a-zA-Z_-]{1,50}$/);
    expect(props.Name).toBe(guardrail.guardrailName);
    expect(props.Description).toBe('Content guardrail of TestStack/Guardrail');
  });

  test('all six content filters are on: HIGH both ways for five harm categories, HIGH on prompts only for prompt attacks', () => {
    expect(props.ContentPolicyConfig).toEqual({
      FiltersConfig: [
        { Type: 'HATE', InputStrength: 'HIGH', OutputStrength: 'HIGH' },
        { Type: 'INSULTS', InputStrength: 'HIGH', OutputStrength: 'HIGH' },
        { Type: 'SEXUAL', InputStrength: 'HIGH', OutputStrength: 'HIGH' },
        { Type: 'VIOLENCE', InputStrength: 'HIGH', OutputStrength: 'HIGH' },
        { Type: 'MISCONDUCT', InputStrength: 'HIGH', OutputStrength: 'HIGH' },
        { Type: 'PROMPT_ATTACK', InputStrength: 'HIGH', OutputStrength: 'NONE' },
      ],
    });
  });

  test('credentials, card, bank, tax and national ID numbers are blocked, and contact details anonymized', () => {
    const entities: Array<{ Type: string; Action: string }> = props.SensitiveInformationPolicyConfig.PiiEntitiesConfig;
    const withAction = (action: string) => entities.filter(e => e.Action === action).map(e => e.Type);
    expect(withAction('BLOCK')).toEqual([
      'AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'PASSWORD', 'PIN',
      'CREDIT_DEBIT_CARD_NUMBER', 'CREDIT_DEBIT_CARD_CVV', 'CREDIT_DEBIT_CARD_EXPIRY',
      'US_BANK_ACCOUNT_NUMBER', 'US_BANK_ROUTING_NUMBER', 'INTERNATIONAL_BANK_ACCOUNT_NUMBER',
      'US_SOCIAL_SECURITY_NUMBER', 'US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER', 'US_PASSPORT_NUMBER',
      'CA_SOCIAL_INSURANCE_NUMBER', 'UK_NATIONAL_INSURANCE_NUMBER',
    ]);
    expect(withAction('ANONYMIZE')).toEqual(['NAME', 'EMAIL', 'PHONE', 'ADDRESS']);
    expect(entities).toHaveLength(19);
    expect(props.SensitiveInformationPolicyConfig.RegexesConfig).toBeUndefined();
  });

  test('the profanity word list is on, with no custom words and no denied topics', () => {
    expect(props.WordPolicyConfig).toEqual({ ManagedWordListsConfig: [{ Type: 'PROFANITY' }] });
    expect(props.TopicPolicyConfig).toBeUndefined();
  });

  test('blocked prompts and answers get the default messages', () => {
    expect(props.BlockedInputMessaging).toBe(ContentGuardrail.DEFAULT_BLOCKED_INPUT_MESSAGE);
    expect(props.BlockedOutputsMessaging).toBe(ContentGuardrail.DEFAULT_BLOCKED_OUTPUT_MESSAGE);
    expect(props.BlockedInputMessaging).toMatch(/^Sorry, I can't help with that request/);
    expect(props.BlockedOutputsMessaging).toMatch(/^Sorry, I can't give that answer/);
  });

  test('the guardrail is encrypted with a customer key created in the construct, rotated yearly and retained', () => {
    expect(props.KmsKeyArn).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(guardrail.encryptionKey.node.scope).toBe(guardrail);
    t.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, Description: 'Encrypts the Bedrock guardrail of TestStack/Guardrail' },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('a version is published from the guardrail, its description carrying a fingerprint of the configuration', () => {
    t.resourceCountIs('AWS::Bedrock::GuardrailVersion', 1);
    t.hasResourceProperties('AWS::Bedrock::GuardrailVersion', {
      GuardrailIdentifier: { 'Fn::GetAtt': [guardrailId, 'GuardrailId'] },
      Description: Match.stringLikeRegexp('^Published configuration of TestStack/Guardrail \\[config [0-9a-f]{12}\\]$'),
    });
  });

  test('guardrailId, guardrailArn and guardrailVersion resolve to the attributes of the guardrail and its version', () => {
    expect(stack.resolve(guardrail.guardrailId)).toEqual({ 'Fn::GetAtt': [guardrailId, 'GuardrailId'] });
    expect(stack.resolve(guardrail.guardrailArn)).toEqual({ 'Fn::GetAtt': [guardrailId, 'GuardrailArn'] });
    expect(stack.resolve(guardrail.guardrailVersion)).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(guardrail.cfnGuardrailVersion), 'Version'] });
  });
});

describe('When every prop is given', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'SharedKey', { enableKeyRotation: true });
  const filters: ContentFilter[] = [
    { type: ContentFilterType.HATE, inputStrength: MEDIUM, outputStrength: LOW },
    { type: ContentFilterType.PROMPT_ATTACK, inputStrength: MEDIUM, outputStrength: NONE },
  ];
  const topics: DeniedTopic[] = [
    { name: 'Investment advice', definition: 'Recommendations on which stocks, funds or crypto assets to buy or sell.', examples: ['Should I buy ACME shares?'] },
    { name: 'Legal advice', definition: 'Advice on how to act in a specific legal dispute.' },
  ];
  const guardrail = new ContentGuardrail(stack, 'Guardrail', {
    guardrailName: 'support-assistant',
    description: 'Support assistant guardrail',
    contentFilters: filters,
    piiEntities: [{ type: PiiEntityType.US_SOCIAL_SECURITY_NUMBER, action: PiiAction.ANONYMIZE }],
    deniedTopics: topics,
    words: ['Project Falcon', 'codename-x'],
    profanityFilter: false,
    blockedInputMessage: 'I cannot answer that.',
    blockedOutputMessage: 'I cannot say that.',
    encryptionKey: key,
    versionDescription: 'Release 7',
  });
  const t = Template.fromStack(stack);
  const props = onlyProperties(t, 'AWS::Bedrock::Guardrail');

  test('the name, description and messages are the given ones', () => {
    expect(props).toMatchObject({
      Name: 'support-assistant',
      Description: 'Support assistant guardrail',
      BlockedInputMessaging: 'I cannot answer that.',
      BlockedOutputsMessaging: 'I cannot say that.',
    });
    expect(guardrail.guardrailName).toBe('support-assistant');
  });

  test('the given content filters replace the defaults', () => {
    expect(props.ContentPolicyConfig.FiltersConfig).toEqual([
      { Type: 'HATE', InputStrength: 'MEDIUM', OutputStrength: 'LOW' },
      { Type: 'PROMPT_ATTACK', InputStrength: 'MEDIUM', OutputStrength: 'NONE' },
    ]);
  });

  test('the given PII entities replace the defaults', () => {
    expect(props.SensitiveInformationPolicyConfig).toEqual({ PiiEntitiesConfig: [{ Type: 'US_SOCIAL_SECURITY_NUMBER', Action: 'ANONYMIZE' }] });
  });

  test('denied topics are rendered as DENY topics, with examples only where given', () => {
    expect(props.TopicPolicyConfig).toEqual({
      TopicsConfig: [
        { Name: 'Investment advice', Definition: topics[0].definition, Examples: ['Should I buy ACME shares?'], Type: 'DENY' },
        { Name: 'Legal advice', Definition: topics[1].definition, Type: 'DENY' },
      ],
    });
  });

  test('custom words are blocked and the profanity list is off', () => {
    expect(props.WordPolicyConfig).toEqual({ WordsConfig: [{ Text: 'Project Falcon' }, { Text: 'codename-x' }] });
  });

  test('the guardrail is encrypted with the given key and creates none of its own', () => {
    expect(props.KmsKeyArn).toEqual(stack.resolve(key.keyArn));
    expect(guardrail.encryptionKey).toBe(key);
    t.resourceCountIs('AWS::KMS::Key', 1);
  });

  test('the version description is the given one plus the configuration fingerprint', () => {
    t.hasResourceProperties('AWS::Bedrock::GuardrailVersion', { Description: Match.stringLikeRegexp('^Release 7 \\[config [0-9a-f]{12}\\]$') });
  });
});

describe('When policies are turned off', () => {
  const stack = newStack();
  new ContentGuardrail(stack, 'WordsOnly', { contentFilters: [], piiEntities: [], profanityFilter: false, words: ['forbidden'] });
  new ContentGuardrail(stack, 'PiiOnly', { contentFilters: [], piiEntities: [{ type: PiiEntityType.EMAIL, action: PiiAction.BLOCK }], profanityFilter: false });
  const t = Template.fromStack(stack);
  const byName = (prefix: string) => Object.values(t.findResources('AWS::Bedrock::Guardrail'))
    .map(r => r.Properties).find(p => String(p.Name).startsWith(`TestStack-${prefix}-`))!;

  test('an empty content filter list leaves out the content policy', () => {
    expect(byName('WordsOnly').ContentPolicyConfig).toBeUndefined();
    expect(byName('PiiOnly').ContentPolicyConfig).toBeUndefined();
  });

  test('an empty PII list leaves out the sensitive information policy', () => {
    expect(byName('WordsOnly').SensitiveInformationPolicyConfig).toBeUndefined();
  });

  test('with the profanity list off, the word policy holds only custom words, or is left out when there are none', () => {
    expect(byName('WordsOnly').WordPolicyConfig).toEqual({ WordsConfig: [{ Text: 'forbidden' }] });
    expect(byName('PiiOnly').WordPolicyConfig).toBeUndefined();
  });

  test('a content filter is changed by editing a copy of the defaults', () => {
    const copy = ContentGuardrail.DEFAULT_CONTENT_FILTERS.map(f => f.type === ContentFilterType.INSULTS ? { ...f, outputStrength: MEDIUM } : f);
    expect(copy).toHaveLength(6);
    expect(Object.isFrozen(ContentGuardrail.DEFAULT_CONTENT_FILTERS)).toBe(true);
    expect(Object.isFrozen(ContentGuardrail.DEFAULT_PII_ENTITIES)).toBe(true);
    expect(ContentGuardrail.DEFAULT_CONTENT_FILTERS.find(f => f.type === ContentFilterType.INSULTS)!.outputStrength).toBe(HIGH);
  });
});

describe('When the configuration of a guardrail changes', () => {
  // The version resource's Description is create-only: a different fingerprint replaces it, publishing a new version.
  const versionDescription = (props: ContentGuardrailProps) => {
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', KEY_ARN);
    const g = new ContentGuardrail(stack, 'Guardrail', { encryptionKey: key, ...props });
    return stack.resolve(g.cfnGuardrailVersion.description);
  };
  const base = versionDescription({});

  test('the same configuration gives the same version description, so the version is kept', () => {
    expect(versionDescription({})).toBe(base);
  });

  test.each<[string, ContentGuardrailProps]>([
    ['a filter strength', { contentFilters: ContentGuardrail.DEFAULT_CONTENT_FILTERS.map(f => ({ ...f, inputStrength: f.type === ContentFilterType.HATE ? MEDIUM : f.inputStrength })) }],
    ['a new word', { words: ['falcon'] }],
    ['the blocked message', { blockedInputMessage: 'No.' }],
    ['the profanity list', { profanityFilter: false }],
  ])('changing %s gives a new version description, so a new version is published', (_name, props) => {
    expect(versionDescription(props)).not.toBe(base);
    expect(versionDescription(props)).toMatch(/^Published configuration of TestStack\/Guardrail \[config [0-9a-f]{12}\]$/);
  });
});

describe('When an application role is granted apply on an owned guardrail', () => {
  const stack = newStack();
  const guardrail = new ContentGuardrail(stack, 'Guardrail');
  const role = appRole(stack);
  const bystander = appRole(stack, 'Bystander');
  const grant = guardrail.grantApply(role);
  const t = Template.fromStack(stack);

  test('the role may call bedrock:ApplyGuardrail on the guardrail ARN only, and kms:Decrypt on its key only', () => {
    expect(statementsOf(t, stack, role)).toEqual([
      { Action: 'bedrock:ApplyGuardrail', Effect: 'Allow', Resource: stack.resolve(guardrail.guardrailArn) },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: stack.resolve(guardrail.encryptionKey.keyArn) },
    ]);
  });

  test('the grant succeeds and the key policy is left alone (same-account IAM delegation)', () => {
    expect(grant.success).toBe(true);
    const keyPolicy = onlyProperties(t, 'AWS::KMS::Key').KeyPolicy.Statement;
    expect(keyPolicy).toHaveLength(1);
  });

  test('a role that was not granted gets no policy', () => {
    expect(t.findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(bystander.roleName)] } })).toEqual({});
  });
});

describe('When a guardrail is imported', () => {
  const stack = newStack();
  const key = kms.Key.fromKeyArn(stack, 'Key', KEY_ARN);
  const withKey = ContentGuardrail.fromGuardrailAttributes(stack, 'WithKey', { guardrailArn: GUARDRAIL_ARN, guardrailVersion: '3', encryptionKey: key });
  const withoutKey = ContentGuardrail.fromGuardrailAttributes(stack, 'WithoutKey', { guardrailArn: GUARDRAIL_ARN, guardrailVersion: 'DRAFT' });
  const fromParameter = ContentGuardrail.fromGuardrailAttributes(stack, 'FromParameter', {
    guardrailArn: new CfnParameter(stack, 'GuardrailArn').valueAsString,
    guardrailVersion: new CfnParameter(stack, 'GuardrailVersion').valueAsString,
  });
  const keyed = appRole(stack, 'Keyed');
  const unkeyed = appRole(stack, 'Unkeyed');
  withKey.grantApply(keyed);
  withoutKey.grantApply(unkeyed);
  const t = Template.fromStack(stack);

  test('the ID comes from the ARN and the account and region from the ARN too', () => {
    expect(withKey.guardrailId).toBe('abc123def456');
    expect(withKey.guardrailArn).toBe(GUARDRAIL_ARN);
    expect(withKey.guardrailVersion).toBe('3');
    expect(withKey.env).toEqual({ account: '111122223333', region: 'eu-west-1' });
    expect(withKey.encryptionKey).toBe(key);
  });

  test('with its key, grantApply allows bedrock:ApplyGuardrail on the ARN and kms:Decrypt on the key', () => {
    expect(statementsOf(t, stack, keyed)).toEqual([
      { Action: 'bedrock:ApplyGuardrail', Effect: 'Allow', Resource: GUARDRAIL_ARN },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN },
    ]);
  });

  test('without a key, grantApply allows only bedrock:ApplyGuardrail on the ARN', () => {
    expect(statementsOf(t, stack, unkeyed)).toEqual([{ Action: 'bedrock:ApplyGuardrail', Effect: 'Allow', Resource: GUARDRAIL_ARN }]);
    expect(withoutKey.encryptionKey).toBeUndefined();
  });

  test('an ARN given as a token is not validated, and its ID is split out at deploy time', () => {
    expect(stack.resolve(fromParameter.guardrailId)).toEqual({ 'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::Select': [5, { 'Fn::Split': [':', { Ref: 'GuardrailArn' }] }] }] }] });
  });
});

describe('When guardrail props are invalid', () => {
  const where = "ContentGuardrail at 'TestStack/Guardrail'";
  const filters = (changed: Partial<ContentFilter>, at = 5): ContentFilter[] =>
    ContentGuardrail.DEFAULT_CONTENT_FILTERS.map((f, i) => (i === at ? { ...f, ...changed } : f));
  const topic = (changed: Partial<DeniedTopic>): DeniedTopic[] => [{ name: 'Investment advice', definition: 'Advice on what to buy.', ...changed }];
  const cases: Array<[string, ContentGuardrailProps | ((s: Stack) => ContentGuardrailProps), string, string]> = [
    ['a filter strength outside the allowed set', { contentFilters: filters({ inputStrength: 'EXTREME' as FilterStrength }, 1) }, 'LLMOPS_GUARDRAIL_FILTER_STRENGTH',
      "contentFilters[1].inputStrength 'EXTREME' is not a filter strength; allowed: NONE, LOW, MEDIUM, HIGH"],
    ['an output strength outside the allowed set', { contentFilters: filters({ outputStrength: 'max' as FilterStrength }, 0) }, 'LLMOPS_GUARDRAIL_FILTER_STRENGTH',
      "contentFilters[0].outputStrength 'max' is not a filter strength; allowed: NONE, LOW, MEDIUM, HIGH"],
    ['an unknown filter type', { contentFilters: filters({ type: 'SPAM' as ContentFilterType }, 2) }, 'LLMOPS_GUARDRAIL_FILTER_TYPE',
      "contentFilters[2].type 'SPAM' is not a content filter type; allowed: HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT, PROMPT_ATTACK"],
    ['prompt-attack filtering on answers', { contentFilters: filters({ outputStrength: LOW }) }, 'LLMOPS_GUARDRAIL_PROMPT_ATTACK_OUTPUT',
      "contentFilters[5].outputStrength 'LOW' is not supported for PROMPT_ATTACK: Bedrock checks prompt attacks on prompts only; allowed: NONE"],
    ['the same filter type twice', { contentFilters: [...ContentGuardrail.DEFAULT_CONTENT_FILTERS, { type: ContentFilterType.HATE, inputStrength: LOW, outputStrength: LOW }] },
      'LLMOPS_GUARDRAIL_DUPLICATE', "contentFilters[6].type 'HATE' repeats contentFilters[0].type; allowed: one filter per type"],
    ['an unknown PII entity type', { piiEntities: [{ type: 'SOCIAL_SECURITY' as PiiEntityType, action: PiiAction.BLOCK }] }, 'LLMOPS_GUARDRAIL_PII_TYPE',
      "piiEntities[0].type 'SOCIAL_SECURITY' is not a PII entity type that Bedrock Guardrails detect; allowed: ADDRESS, AGE, AWS_ACCESS_KEY, AWS_SECRET_KEY, "
      + 'CA_HEALTH_NUMBER, CA_SOCIAL_INSURANCE_NUMBER, CREDIT_DEBIT_CARD_CVV, CREDIT_DEBIT_CARD_EXPIRY, CREDIT_DEBIT_CARD_NUMBER, DRIVER_ID, EMAIL, '
      + 'INTERNATIONAL_BANK_ACCOUNT_NUMBER, IP_ADDRESS, LICENSE_PLATE, MAC_ADDRESS, NAME, PASSWORD, PHONE, PIN, SWIFT_CODE, UK_NATIONAL_HEALTH_SERVICE_NUMBER, '
      + 'UK_NATIONAL_INSURANCE_NUMBER, UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER, URL, USERNAME, US_BANK_ACCOUNT_NUMBER, US_BANK_ROUTING_NUMBER, '
      + 'US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER, US_PASSPORT_NUMBER, US_SOCIAL_SECURITY_NUMBER, VEHICLE_IDENTIFICATION_NUMBER'],
    ['a PII action other than BLOCK or ANONYMIZE', { piiEntities: [{ type: PiiEntityType.EMAIL, action: 'NONE' as PiiAction }] }, 'LLMOPS_GUARDRAIL_PII_ACTION',
      "piiEntities[0].action 'NONE' is not a PII action; allowed: BLOCK, ANONYMIZE"],
    ['the same PII type twice', { piiEntities: [{ type: PiiEntityType.EMAIL, action: PiiAction.BLOCK }, { type: PiiEntityType.EMAIL, action: PiiAction.ANONYMIZE }] },
      'LLMOPS_GUARDRAIL_DUPLICATE', "piiEntities[1].type 'EMAIL' repeats piiEntities[0].type; allowed: each entity type once"],
    ['an empty topic name', { deniedTopics: topic({ name: '' }) }, 'LLMOPS_GUARDRAIL_TOPIC_NAME',
      "deniedTopics[0].name '' is empty; allowed: 1-100 letters, digits, spaces and - _ ! ? ."],
    ['a blank topic name', { deniedTopics: topic({ name: '   ' }) }, 'LLMOPS_GUARDRAIL_TOPIC_NAME', "deniedTopics[0].name '   ' is empty"],
    ['a topic name with a comma', { deniedTopics: topic({ name: 'Stocks, bonds' }) }, 'LLMOPS_GUARDRAIL_TOPIC_NAME',
      "deniedTopics[0].name 'Stocks, bonds' has characters that are not allowed; allowed: 1-100 letters, digits, spaces and - _ ! ? ."],
    ['a topic name of 101 characters', { deniedTopics: topic({ name: 'a'.repeat(101) }) }, 'LLMOPS_GUARDRAIL_TOPIC_NAME',
      `deniedTopics[0].name '${'a'.repeat(40)}... (101 characters)' is 101 characters long; allowed: 1-100 letters`],
    ['an empty topic definition', { deniedTopics: topic({ definition: '' }) }, 'LLMOPS_GUARDRAIL_TOPIC_DEFINITION',
      "deniedTopics[0].definition '' is empty; allowed: 1-1000 characters"],
    ['a topic definition of 1001 characters', { deniedTopics: topic({ definition: 'd'.repeat(1001) }) }, 'LLMOPS_GUARDRAIL_TOPIC_DEFINITION',
      'is 1001 characters long; allowed: 1-1000 characters'],
    ['an empty topic example', { deniedTopics: topic({ examples: ['Buy ACME?', ''] }) }, 'LLMOPS_GUARDRAIL_TOPIC_EXAMPLE',
      "deniedTopics[0].examples[1] '' is empty; allowed: 1-100 characters"],
    ['a topic example of 101 characters', { deniedTopics: topic({ examples: ['e'.repeat(101)] }) }, 'LLMOPS_GUARDRAIL_TOPIC_EXAMPLE',
      'deniedTopics[0].examples[0]'],
    ['six topic examples', { deniedTopics: topic({ examples: ['1', '2', '3', '4', '5', '6'] }) }, 'LLMOPS_GUARDRAIL_LIMIT',
      'deniedTopics[0].examples.length 6 exceeds the limit; allowed: at most 5 examples per topic'],
    ['31 denied topics', { deniedTopics: Array.from({ length: 31 }, (_, i) => ({ name: `Topic ${i}`, definition: 'Something.' })) }, 'LLMOPS_GUARDRAIL_LIMIT',
      'deniedTopics.length 31 exceeds the limit; allowed: at most 30 denied topics'],
    ['two topics with the same name', { deniedTopics: [...topic({}), ...topic({ definition: 'Other.' })] }, 'LLMOPS_GUARDRAIL_DUPLICATE',
      "deniedTopics[1].name 'Investment advice' repeats deniedTopics[0].name; allowed: a unique name per topic"],
    ['an empty word', { words: ['ok', ''] }, 'LLMOPS_GUARDRAIL_WORD', "words[1] '' is empty; allowed: 1-100 characters"],
    ['a word of 101 characters', { words: ['w'.repeat(101)] }, 'LLMOPS_GUARDRAIL_WORD', 'is 101 characters long; allowed: 1-100 characters'],
    ['the same word twice', { words: ['falcon', 'falcon'] }, 'LLMOPS_GUARDRAIL_DUPLICATE', "words[1] 'falcon' repeats words[0]; allowed: each word once"],
    ['10,001 words', { words: Array.from({ length: 10001 }, (_, i) => `w${i}`) }, 'LLMOPS_GUARDRAIL_LIMIT',
      'words.length 10001 exceeds the limit; allowed: at most 10000 words'],
    ['an empty blocked input message', { blockedInputMessage: '' }, 'LLMOPS_GUARDRAIL_MESSAGE', "blockedInputMessage '' is empty; allowed: 1-500 characters"],
    ['a blocked output message of 501 characters', { blockedOutputMessage: 'm'.repeat(501) }, 'LLMOPS_GUARDRAIL_MESSAGE',
      `blockedOutputMessage '${'m'.repeat(40)}... (501 characters)' is 501 characters long; allowed: 1-500 characters`],
    ['a guardrail name with a space', { guardrailName: 'support assistant' }, 'LLMOPS_GUARDRAIL_NAME',
      "guardrailName 'support assistant' has characters that are not allowed; allowed: 1-50 letters, digits, '-' and '_'"],
    ['a guardrail name of 51 characters', { guardrailName: 'g'.repeat(51) }, 'LLMOPS_GUARDRAIL_NAME',
      `guardrailName '${'g'.repeat(51)}' is 51 characters long; allowed: 1-50 letters, digits, '-' and '_'`],
    ['a description of 201 characters', { description: 'd'.repeat(201) }, 'LLMOPS_GUARDRAIL_DESCRIPTION', 'is 201 characters long; allowed: 1-200 characters'],
    ['a version description of 179 characters', { versionDescription: 'v'.repeat(179) }, 'LLMOPS_GUARDRAIL_DESCRIPTION',
      'versionDescription'],
    ['a key alias', s => ({ encryptionKey: kms.Alias.fromAliasName(s, 'Alias', 'alias/guardrails') }), 'LLMOPS_GUARDRAIL_KMS_KEY',
      'is a key alias; allowed: a key ARN, arn:<partition>:kms:<region>:<account>:key/<key-id> (the guardrail names the key itself)'],
    ['a malformed key ARN', s => ({ encryptionKey: kms.Key.fromKeyArn(s, 'Key', 'arn:aws:kms:eu-west-1:111122223333:key/short') }), 'LLMOPS_GUARDRAIL_KMS_KEY',
      "encryptionKey 'arn:aws:kms:eu-west-1:111122223333:key/short' is not a KMS key ARN; allowed: arn:<partition>:kms:<region>:<account>:key/<key-id>"],
    ['every policy off', { contentFilters: [], piiEntities: [], profanityFilter: false }, 'LLMOPS_GUARDRAIL_NO_POLICY',
      "props 'every policy off' leaves nothing to check; allowed: at least one content filter, PII entity, denied topic or word, or profanityFilter: true"],
  ];

  test.each(cases)('%s fails with a message naming the path, prop, value and what is allowed', (_name, props, code, message) => {
    const stack = newStack();
    const e = validationError(() => new ContentGuardrail(stack, 'Guardrail', typeof props === 'function' ? props(stack) : props));
    expect(e.codes).toEqual([code]);
    expect(e.message).toContain(where);
    expect(e.message).toContain(message);
  });

  test('a version description of 179 characters names the limit left by the fingerprint', () => {
    const e = validationError(() => new ContentGuardrail(newStack(), 'Guardrail', { versionDescription: 'v'.repeat(179) }));
    expect(e.message).toContain('is 179 characters long; allowed: 1-178 characters (the construct appends a 22-character configuration fingerprint)');
  });

  test('every problem is reported at once', () => {
    const e = validationError(() => new ContentGuardrail(newStack(), 'Guardrail', {
      guardrailName: 'bad name',
      contentFilters: filters({ outputStrength: HIGH }),
      deniedTopics: topic({ definition: '' }),
    }));
    expect(e.codes).toEqual(['LLMOPS_GUARDRAIL_NAME', 'LLMOPS_GUARDRAIL_PROMPT_ATTACK_OUTPUT', 'LLMOPS_GUARDRAIL_TOPIC_DEFINITION']);
    expect(e.message).toMatch(/^ContentGuardrail at 'TestStack\/Guardrail' has 3 invalid props:\n {2}- guardrailName 'bad name'/);
  });

  test('values given as tokens are not validated', () => {
    const stack = newStack();
    const text = (id: string) => new CfnParameter(stack, id).valueAsString;
    expect(() => new ContentGuardrail(stack, 'Guardrail', {
      guardrailName: text('Name'),
      blockedInputMessage: text('Message'),
      deniedTopics: [{ name: text('TopicName'), definition: text('Definition'), examples: [text('Example')] }],
      words: [text('Word')],
      encryptionKey: kms.Key.fromKeyArn(stack, 'Key', text('KeyArn')),
    })).not.toThrow();
  });

  test.each<[string, string, string, string, string]>([
    ['a guardrail ARN of another service', 'arn:aws:s3:::bucket', '3', 'LLMOPS_GUARDRAIL_ARN',
      "guardrailArn 'arn:aws:s3:::bucket' is not a guardrail ARN; allowed: arn:<partition>:bedrock:<region>:<account>:guardrail/<id> (lower-case letters and digits)"],
    ['a version that is neither a number nor DRAFT', GUARDRAIL_ARN, 'latest', 'LLMOPS_GUARDRAIL_VERSION',
      "guardrailVersion 'latest' is not a guardrail version; allowed: a version number from 1 to 99999999, or 'DRAFT'"],
  ])('importing with %s fails with a message naming the path, prop, value and what is allowed', (_name, guardrailArn, guardrailVersion, code, message) => {
    const e = validationError(() => ContentGuardrail.fromGuardrailAttributes(newStack(), 'Imported', { guardrailArn, guardrailVersion }));
    expect(e.codes).toEqual([code]);
    expect(e.message).toBe(`ContentGuardrail at 'TestStack/Imported': ${message} [${code}]`);
  });
});

// The security gate of the guardrail on its own: AwsSolutions, HIPAA, NIST 800-53 R5 and PCI DSS 3.2.1 report nothing.
const PACKS = [AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks];

function violations(report: PolicyValidationPluginReport): string[] {
  return report.violations.flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${r.constructPath ?? r.resourceLogicalId}`));
}

describe('When guardrail stacks are checked against AwsSolutions, HIPAA, NIST 800-53 R5 and PCI DSS 3.2.1', () => {
  const stack = new Stack(new App(), 'Gate');
  const role = new LeastPrivilegeRole(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  new ContentGuardrail(stack, 'Default').grantApply(role);
  const shared = new kms.Key(stack, 'SharedKey', { enableKeyRotation: true });
  new ContentGuardrail(stack, 'SharedKeyGuardrail', { encryptionKey: shared, deniedTopics: [{ name: 'Legal advice', definition: 'Advice on legal disputes.' }] })
    .grantApply(role);
  ContentGuardrail.fromGuardrailAttributes(stack, 'Imported', { guardrailArn: GUARDRAIL_ARN, guardrailVersion: '1', encryptionKey: kms.Key.fromKeyArn(stack, 'ImportedKey', KEY_ARN) })
    .grantApply(role);

  test.each(PACKS.map(p => [p.name, p] as const))('%s reports no violation', (_name, Pack) => {
    expect(violations(new Pack().validateScope(stack))).toEqual([]);
  });
});

describe('When a guardrail is given a key without rotation', () => {
  const stack = new Stack(new App(), 'Bad');
  new ContentGuardrail(stack, 'Guardrail', { encryptionKey: new kms.Key(stack, 'StaticKey') });

  test.each<[string, NagPack, string]>([
    ['AwsSolutionsChecks', new AwsSolutionsChecks(), 'AwsSolutions-KMS5'],
    ['NIST80053R5Checks', new NIST80053R5Checks(), 'NIST.800.53.R5-KMSBackingKeyRotationEnabled'],
    ['PCIDSS321Checks', new PCIDSS321Checks(), 'PCI.DSS.321-KMSBackingKeyRotationEnabled'],
  ])('%s reports the key, proving the gate can fail', (_name, pack, rule) => {
    expect(violations(pack.validateScope(stack))).toEqual([`${rule} Bad/StaticKey/Resource`]);
  });
});

describe('When the default guardrail is synthesized with CloudFormation schema validation on', () => {
  let outdir: string;
  let synthError: unknown;

  beforeAll(() => {
    ({ outdir, error: synthError } = validatedSynth('llmops-guardrail-', app => {
      const stack = new Stack(app, 'Guardrails');
      new ContentGuardrail(stack, 'Default');
      // Every policy kind once, so the schema sees each rendered shape.
      new ContentGuardrail(stack, 'Custom', {
        deniedTopics: [{ name: 'Investment advice', definition: 'Recommendations on which assets to buy or sell.', examples: ['Should I buy ACME?'] }],
        words: ['Project Falcon'],
        piiEntities: [...ContentGuardrail.DEFAULT_PII_ENTITIES, { type: PiiEntityType.IP_ADDRESS, action: PiiAction.ANONYMIZE }],
      });
    }));
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('synth does not throw', () => {
    expect(synthError).toBeUndefined();
    expect(fs.existsSync(path.join(outdir, 'Guardrails.template.json'))).toBe(true);
  });

  test('the validation report names no guardrail, version or key resource', () => {
    const reportPath = path.join(outdir, 'validation-report.json');
    const report = fs.existsSync(reportPath) ? JSON.parse(fs.readFileSync(reportPath, 'utf8')) : { pluginReports: [] };
    const findings = (report.pluginReports ?? []).flatMap((r: any) => r.violations ?? [])
      .filter((v: any) => (v.violatingResources ?? []).some((r: any) => /^Guardrails\/(Default|Custom)\//.test(r.constructPath ?? '')));
    expect(findings).toEqual([]);
  });
});
