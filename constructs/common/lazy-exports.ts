/**
 * Defines `names` on a module's `exports` as getters that load their module on first access, so that importing the
 * library does not load what only some apps use (cdk-nag for the LlmOps rule pack, zod for configuration files).
 * The module's typings declare the same names (`export declare const …`).
 */
export function defineLazyExports(target: object, load: () => Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    Object.defineProperty(target, name, { enumerable: true, configurable: true, get: () => load()[name] });
  }
}
