import type { GitRemote } from '../artifacts/remote';
import type { ArtifactStore } from '../artifacts/types';
import type { ActivityMetrics } from '../core/metrics';
import type { PriceTable } from '../models/prices';
import type { ModelClient } from '../models/types';
import type { Sandbox } from '../sandbox/types';

/** The clients the activities are built from: production passes real ones, tests pass fakes, through one door. */
export interface ActivityDeps {
  model: ModelClient;
  prices: PriceTable;
  artifacts: ArtifactStore;
  /** Where finished runs are published by default (DEVCREW_ARTIFACTS_PUSH_URL and its credentials). */
  publishTo?: GitRemote;
  /** Only the sandbox-bound activities need it. */
  sandbox?: Sandbox;
  /**
   * Fault injection for the reliability tests and `npm run chaos` only (DEVCREW_FAULT_STEP_DELAYS): the
   * named activities wait this many milliseconds (heartbeating) after their work, before they return,
   * so a test can kill a worker while a step is between its effect and its completion.
   */
  stepDelaysMs?: Record<string, number>;
  /** Where the activities' metrics go (`meterMetrics`, built in workers/deps.ts); none when absent. */
  metrics?: ActivityMetrics;
  /** Planner repair rounds after an invalid plan (default 1). */
  plannerRepairRounds?: number;
}
