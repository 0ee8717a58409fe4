import { createHash } from 'node:crypto';
import { activityContext } from './context';
import type { ArtifactMetadata } from '../contracts';

/** What one step knows of itself; the run and task are added by `provenance`. */
export type StepProvenance = Pick<
  ArtifactMetadata,
  'agent_role' | 'agent_version' | 'prompt_hash' | 'model_name' | 'timestamp'
>;

/**
 * The provenance of a step's commit, in the migration plan's format: the run id fills both `workflow_id`
 * and `correlation_id` (a devcrew run is one workflow and one correlation); `artifacts` is filled by
 * the store from the committed files.
 */
export function provenance(
  runId: string,
  taskId: string,
  step: StepProvenance,
): Omit<ArtifactMetadata, 'artifacts'> {
  return { workflow_id: runId, correlation_id: runId, task_id: taskId, ...step };
}

/**
 * A step no model answered (a tool run in the sandbox, a rule): its "prompt" is the tool's version over
 * what it worked on (the commit it checked, the request it planned), so the same step hashes the same.
 */
export function toolStep(
  role: ArtifactMetadata['agent_role'],
  version: string,
  input: string,
  modelName = 'none (sandbox tools)',
): StepProvenance {
  return {
    agent_role: role,
    agent_version: version,
    prompt_hash: `sha256:${createHash('sha256').update(`${version}:${input}`).digest('hex')}`,
    model_name: modelName,
    timestamp: stableTimestamp(),
  };
}

/**
 * The time a commit records: when Temporal first scheduled this activity, the same on every retry, so
 * a retried step rebuilds the identical commit instead of a second one.
 */
export function stableTimestamp(): string {
  const info = activityContext()?.info;
  // Outside an activity (scripts, tests): now.
  return new Date(info ? info.scheduledTimestampMs : Date.now()).toISOString();
}
