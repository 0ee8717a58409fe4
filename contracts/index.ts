/**
 * The single language of devcrew: every value that crosses a boundary (HTTP, CLI files, model answers,
 * workflow inputs and results) is one of these zod schemas. Pure: no I/O, safe to import in workflows.
 */
export * from './agent-steps';
export * from './alerts';
export * from './api';
export * from './auth';
export * from './artifact-metadata';
export * from './build-report';
export * from './code-artifacts';
export * from './contract';
export * from './documents';
export * from './error-codes';
export * from './evaluation';
export * from './json-syntax';
export * from './problems';
export * from './roles';
export * from './rollout';
export * from './run';
export * from './run-input';
export * from './task-queues';
export * from './task-event';
export * from './test-report';
export * from './todo-list';
export * from './usage';
