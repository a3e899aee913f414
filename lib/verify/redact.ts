/** What a redacted value prints as. */
export const REDACTED = '<redacted>';

/** Whether a stack output's key names a secret: it contains Secret, Token or Password (any case). */
export function isSecretKey(key: string): boolean {
  return /secret|token|password/i.test(key);
}

/** The outputs, with the value of every secret-named key replaced by {@link REDACTED}. */
export function redactOutputs(outputs: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, isSecretKey(k) ? REDACTED : v]));
}

// Errors whose message may quote the model's response (InvokeEndpoint): only their name and status are printed.
const ECHOING_ERRORS = new Set(['ModelError', 'ModelStreamError']);
const MAX_MESSAGE = 300;

/**
 * An error as one safe line: `Name: message` (cut at 300 characters), or only the name and HTTP status for
 * errors that may echo the model's output.
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, MAX_MESSAGE);
  const e = error as Error & { OriginalStatusCode?: number; $metadata?: { httpStatusCode?: number } };
  if (ECHOING_ERRORS.has(e.name)) {
    const status = e.OriginalStatusCode ?? e.$metadata?.httpStatusCode;
    return `${e.name}${status === undefined ? '' : ` (HTTP ${status})`}; message withheld: it may contain the model's output`;
  }
  const message = e.message.length > MAX_MESSAGE ? `${e.message.slice(0, MAX_MESSAGE)}…` : e.message;
  return message ? `${e.name}: ${message}` : e.name;
}
