import type { ArtifactStore } from '../artifacts/types';
import type { PriceTable } from '../models/prices';
import type { ModelClient } from '../models/types';
import type { Sandbox } from '../sandbox/types';

/** The clients the activities are built from: production passes real ones, tests pass fakes, through one door. */
export interface ActivityDeps {
  model: ModelClient;
  prices: PriceTable;
  artifacts: ArtifactStore;
  /** Only the sandbox-bound activities need it. */
  sandbox?: Sandbox;
  /** The longest a test command may run in the sandbox (default the sandbox's 300 s). */
  testTimeoutCapSeconds?: number;
  /** Planner repair rounds after an invalid plan (default 1). */
  plannerRepairRounds?: number;
}
