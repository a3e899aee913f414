// Package entry: the composed application layer and the construct library.
export * from './config';
export * from './config-schema';
export * from './config-loader';
export * from './llmops-stack';
export * from './app';
export * from './registry-stack';
export * from './pipeline-stack';
export * from '../constructs';
