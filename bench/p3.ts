import type { TodoList } from '../contracts';
import type { fakeActivities } from '../test/workflows/fakes';
import type { startFleet } from '../test/workflows/harness';
import { todoList } from '../test/support/todo-lists';

type Fleet = Awaited<ReturnType<typeof startFleet>>;
type Fakes = ReturnType<typeof fakeActivities>;

/** Chains of `depth` architect tasks, `width` of them side by side (zero-latency fake agents). */
export const chains = (width: number, depth: number) =>
  todoList(
    Array.from({ length: width * depth }, (_, i) => ({
      id: `t${i}`,
      agent_role: 'architect',
      dependencies: i % depth === 0 ? [] : [`t${i - 1}`],
    })),
  ) as unknown as TodoList;

export interface P3Figures {
  p3_runs_per_second: number;
  p3_agent_steps_per_minute: number;
  p3_max_concurrent_runs_without_timeout: number;
}

/**
 * P3 of the performance issue on whatever Temporal the fleet's workers use: 100 single-task runs at once
 * (runs per second), then 50, 100 and 200 ten-task runs in flight (agent steps per minute, and the most
 * runs in flight with no run failed and no task timed out in the first 20 histories).
 */
export async function measureP3(
  fleet: Fleet,
  instant: Fakes,
  out: (line: string) => void,
): Promise<P3Figures> {
  const figures: P3Figures = {
    p3_runs_per_second: 0,
    p3_agent_steps_per_minute: 0,
    p3_max_concurrent_runs_without_timeout: 0,
  };
  {
    const n = 100;
    const t = Date.now();
    const runs = await Promise.all(Array.from({ length: n }, () => fleet.start({ todo_list: chains(1, 1) })));
    await Promise.all(runs.map((r) => r.result()));
    const seconds = (Date.now() - t) / 1000;
    figures.p3_runs_per_second = Math.round((n / seconds) * 10) / 10;
    out(`P3 ${n} single-task runs: ${figures.p3_runs_per_second} runs per second`);
  }
  for (const inFlight of [50, 100, 200]) {
    const before = instant.calls.filter((c) => c.activity === 'architect').length;
    const t = Date.now();
    const runs = await Promise.all(
      Array.from({ length: inFlight }, () => fleet.start({ todo_list: chains(1, 10) })),
    );
    const outcomes = await Promise.allSettled(runs.map((r) => r.result()));
    const ms = Date.now() - t;
    let timeouts = 0;
    for (const r of runs.slice(0, 20)) {
      const history = await r.fetchHistory();
      timeouts += (history.events ?? []).filter(
        (e) => e.workflowTaskTimedOutEventAttributes || e.activityTaskTimedOutEventAttributes,
      ).length;
    }
    const failed = outcomes.filter((o) => o.status === 'rejected').length;
    const agentSteps = instant.calls.filter((c) => c.activity === 'architect').length - before;
    const steps = Math.round((agentSteps / ms) * 60_000);
    out(
      `P3 ${inFlight} runs in flight (10-task chains): ${steps} agent steps per minute, ${failed} failed, ${timeouts} timeouts in the first 20 histories, ${ms} ms`,
    );
    if (failed === 0 && timeouts === 0) figures.p3_max_concurrent_runs_without_timeout = inFlight;
    if (inFlight === 200) figures.p3_agent_steps_per_minute = steps;
  }
  return figures;
}
