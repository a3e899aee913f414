// `llmops verify`: the post-deploy gate. bin/verify.ts is the CLI; everything here takes injected clients and
// a clock, so it runs in tests without AWS or real time.
export * from './alarms';
export * from './endpoints';
export * from './io';
export * from './options';
export * from './redact';
export * from './report';
export * from './retry';
export * from './run-verify';
export * from './smoke';
export * from './stack';
export * from './wait';
