import {
  VERIFY_ALARM_ACTIONS, VERIFY_COMPONENT_ACTIONS, VERIFY_ENDPOINT_ACTIONS, VERIFY_SMOKE_ACTIONS, VERIFY_STACK_ACTIONS,
} from '../../constructs/permissions';

/**
 * The IAM actions `llmops verify` calls, for the role of a CI job or pipeline step that runs it (the lists live in
 * constructs/permissions.ts). Scope them to the stack (`arn:aws:cloudformation:<region>:<account>:stack/<stack>/*`),
 * its endpoints and inference components; DescribeAlarms supports no resource-level permissions.
 */
export const VERIFY_IAM_ACTIONS: Readonly<Record<'always' | 'smoke', readonly string[]>> = {
  always: [...VERIFY_STACK_ACTIONS, ...VERIFY_ENDPOINT_ACTIONS, ...VERIFY_COMPONENT_ACTIONS, ...VERIFY_ALARM_ACTIONS],
  /** Only with --smoke or --smoke-file. */
  smoke: [...VERIFY_SMOKE_ACTIONS],
};
