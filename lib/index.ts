// Package entry: the composed application layer and the construct library.
export * from './config';
export * from './config-loader';
export * from './llmops-stack';
export * from './app';
export * from './registry-stack';
export * from './pipeline-stack';
export * from './cost';
export * from '../constructs';

// The configuration-file schema is built with zod: it (and zod) load on first use of these names only.
import type * as configSchema from './config-schema';
import { defineLazyExports } from '../constructs/common/lazy-exports';
/** The zod schema of an environment's overrides (cdk.json context `llmops.<env>`, `config/<env>.json`). */
export declare const CONFIG_OVERRIDES_SCHEMA: typeof configSchema.CONFIG_OVERRIDES_SCHEMA;
/** Checks overrides against the schema (see lib/config-schema.ts); zod loads on first use. */
export declare const parseConfigOverrides: typeof configSchema.parseConfigOverrides;
// eslint-disable-next-line @typescript-eslint/no-require-imports
defineLazyExports(exports, () => require('./config-schema'), ['CONFIG_OVERRIDES_SCHEMA', 'parseConfigOverrides']);
