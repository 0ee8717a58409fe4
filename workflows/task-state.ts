import type {
  AgentStepResult,
  ArtifactRef,
  RoundRecord,
  TaskProgress,
  TaskStatus,
  TodoItem,
  TodoList,
} from '../contracts';
import type { ErrorFields } from '../contracts/error-codes';
import { now, type RunState } from './run-state';

/**
 * Every task's progress, and the only place a task's status changes. The transitions:
 *
 *   pending ─▶ running ─▶ completed | failed
 *   pending ─▶ awaiting_approval ─▶ running | rejected
 *   pending ─▶ skipped        (a dependency did not complete, or fail_fast stopped the run)
 *   pending | running | awaiting_approval ─▶ cancelled
 */
type TaskEvents = Pick<RunState, 'emit'>;

export class TaskBoard {
  private readonly byId: Map<string, TaskProgress>;
  /** When each task's step in flight was scheduled (workflow time, ms): its record's `seconds`. */
  private readonly stepStarted = new Map<string, number>();

  /** `tasks` is the run's own progress array: the board changes it in place, and tells `events`. */
  constructor(
    readonly tasks: TaskProgress[],
    private readonly events?: TaskEvents,
  ) {
    this.byId = new Map(tasks.map((t) => [t.id, t]));
  }

  /** The progress of a freshly planned list: every task pending. */
  static fresh(list: TodoList): TaskProgress[] {
    return list.tasks.map((t) => ({
      id: t.id,
      title: t.title,
      agent_role: t.agent_role,
      status: 'pending' as const,
      attempts: 0,
      rounds: 0,
      started_at: null,
      finished_at: null,
      history: [],
    }));
  }

  get(id: string): TaskProgress {
    return this.byId.get(id)!;
  }

  status(id: string): TaskStatus | undefined {
    return this.byId.get(id)?.status;
  }

  /** A pending task whose dependencies all completed. */
  isReady(task: TodoItem): boolean {
    return (
      this.status(task.id) === 'pending' && task.dependencies.every((d) => this.status(d) === 'completed')
    );
  }

  hasPending(): boolean {
    return this.tasks.some((t) => t.status === 'pending');
  }

  start(id: string): void {
    const p = this.get(id);
    p.status = 'running';
    p.started_at = now();
    this.events?.emit('task_started', `${id} (${p.agent_role}) started: ${p.title}`, { task_id: id });
  }

  awaitApproval(id: string): void {
    this.get(id).status = 'awaiting_approval';
  }

  approved(id: string): void {
    this.get(id).status = 'running';
  }

  reject(id: string, error: string): void {
    const p = this.get(id);
    p.status = 'rejected';
    p.error = error;
  }

  /** A task's next step is scheduled now: its record will say how long it took, retries included. */
  stepScheduled(id: string): void {
    this.stepStarted.set(id, Date.now());
  }

  /** One agent step of a task: counted, its commit the task's newest, its round in the history. */
  record(id: string, agent: RoundRecord['agent'], r: AgentStepResult, round = 0): void {
    const p = this.get(id);
    const scheduled = this.stepStarted.get(id);
    this.stepStarted.delete(id);
    p.attempts++;
    p.ref = r.ref;
    if (r.finding_counts) {
      const high = (r.findings ?? []).filter(
        (f) => f.tool === 'bandit' && f.message.startsWith('[high severity]'),
      ).length;
      p.build = {
        passed: r.passed,
        ...r.finding_counts,
        ...(high > 0 ? { security_high: high } : {}),
        ...(r.report_path ? { report_path: r.report_path } : {}),
      };
    }
    if (r.test_summary) {
      p.test_summary = r.test_summary;
      if (r.report_path) p.test_report_path = r.report_path;
    }
    p.history.push({
      round,
      agent,
      passed: r.passed,
      summary: r.summary,
      commit: r.ref.commit,
      ...(r.report_path ? { report_path: r.report_path } : {}),
      at: now(),
      ...(scheduled !== undefined ? { seconds: (Date.now() - scheduled) / 1000 } : {}),
    });
    this.events?.emit(
      'step_finished',
      `${id}: ${agent}${round ? ` round ${round}` : ''} ${r.passed ? 'ok' : 'FAILED'}: ${r.summary.slice(0, 300)}`,
      { task_id: id, status: r.passed ? 'passed' : 'failed' },
    );
  }

  setRounds(id: string, rounds: number): void {
    this.get(id).rounds = rounds;
  }

  complete(id: string, ref: ArtifactRef): void {
    const p = this.get(id);
    p.ref = ref;
    p.status = 'completed';
  }

  fail(id: string, error: string): void {
    const p = this.get(id);
    p.status = 'failed';
    p.error = error;
  }

  finished(id: string): void {
    const p = this.get(id);
    p.finished_at = now();
    this.events?.emit('task_finished', `${id} ${p.status}${p.error ? `: ${p.error.slice(0, 300)}` : ''}`, {
      task_id: id,
      status: p.status,
    });
  }

  /** Skips every pending task that depends, directly or not, on one that did not complete. */
  skipDependents(list: TodoList, failedId: string, reason: string): void {
    for (const t of list.tasks) {
      const p = this.get(t.id);
      if (p.status === 'pending' && t.dependencies.includes(failedId)) {
        p.status = 'skipped';
        p.error = `skipped: dependency ${failedId} ${reason}`;
        p.finished_at = now();
        this.events?.emit('task_finished', `${t.id} skipped: dependency ${failedId} ${reason}`, {
          task_id: t.id,
          status: 'skipped',
        });
        this.skipDependents(list, t.id, 'was skipped');
      }
    }
  }

  skipPending(error: string): void {
    for (const p of this.tasks) {
      if (p.status === 'pending') {
        p.status = 'skipped';
        p.error = error;
        this.events?.emit('task_finished', `${p.id} ${error}`, { task_id: p.id, status: 'skipped' });
      }
    }
  }
}

/** A cancelled run: whatever had not ended is cancelled (the board may not exist yet). */
export function cancelOpenTasks(tasks: TaskProgress[], events?: TaskEvents): void {
  for (const t of tasks)
    if (t.status === 'running' || t.status === 'pending' || t.status === 'awaiting_approval') {
      t.status = 'cancelled';
      events?.emit('task_finished', `${t.id} cancelled`, { task_id: t.id, status: 'cancelled' });
    }
}

/** A run that failed outside its tasks: the tasks it left open failed with it. */
export function failOpenTasks(tasks: TaskProgress[], reason: string, events?: TaskEvents): void {
  for (const t of tasks)
    if (t.status === 'running' || t.status === 'awaiting_approval') {
      t.status = 'failed';
      t.error = reason;
      events?.emit('task_finished', `${t.id} failed: ${reason}`, { task_id: t.id, status: 'failed' });
    } else if (t.status === 'pending') {
      t.status = 'skipped';
      events?.emit('task_finished', `${t.id} skipped: the run failed`, { task_id: t.id, status: 'skipped' });
    }
}

/** The ids a task's failure is about: the run and task, and the report and commit of its last step. */
export function taskFields(runId: string, taskId: string, last?: AgentStepResult): ErrorFields {
  return {
    run_id: runId,
    task_id: taskId,
    ...(last?.report_path ? { report_path: last.report_path } : {}),
    ...(last ? { commit: last.ref.commit } : {}),
  };
}

/** One line for the progress view: the innermost cause and its type. */
export function describeFailure(err: unknown): string {
  let e = err as { message?: string; cause?: unknown; type?: string } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  const message = e?.message ?? String(err);
  // Messages that already lead with their code ("[MODEL_NOT_FOUND] ...") are not prefixed twice.
  const prefix = e?.type && !message.startsWith(`[${e.type}]`) ? `${e.type}: ` : '';
  return `${prefix}${message}`.slice(0, 1000);
}
