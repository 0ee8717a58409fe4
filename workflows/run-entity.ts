import { log, setHandler } from '@temporalio/workflow';
import type { GivenRunInput, RunInput } from '../contracts';
import { withRunDefaults } from '../contracts/run-input';
import { TASK_QUEUES } from '../contracts/task-queues';
import { Budget } from './budget';
import { decideGateSignal, decideGateUpdate, eventsQuery, progressQuery } from './definitions';
import { Gates } from './gates';
import { RunState } from './run-state';

/** What both run workflows (crew and single agent) start from. */
export interface RunEntity {
  input: RunInput;
  queues: { agents: string; sandbox: string };
  run: RunState;
  gates: Gates;
  budget: Budget;
}

/**
 * A run as one entity: its input with defaults applied, its state, gates and budget, and the handlers
 * people reach it through (progress and events queries, the gate Update and Signal) registered once,
 * before anything else runs.
 */
export function openRun(given: GivenRunInput): RunEntity {
  const input = withRunDefaults(given);
  const queues = input.task_queues ?? { agents: TASK_QUEUES.agents, sandbox: TASK_QUEUES.sandbox };
  const run = new RunState(input);
  const gates = new Gates(run, input.options.gates, {
    policy: input.gate_policy,
    requester: input.requested_by,
  });
  const budget = new Budget(run, gates);
  setHandler(progressQuery, () => run.snapshot(gates.pending()));
  setHandler(eventsQuery, (after) => run.eventsAfter(after));
  setHandler(decideGateUpdate, (d) => gates.decide(d), { validator: (d) => gates.validate(d) });
  setHandler(decideGateSignal, (d) => {
    try {
      gates.validate(d);
      gates.decide(d);
    } catch (err) {
      log.warn('gate signal ignored', { reason: (err as Error).message });
    }
  });
  return { input, queues, run, gates, budget };
}
