import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type {
  ModelInfo,
  ModelUsage,
  PendingGate,
  RunInput,
  RunEvent,
  RunProgress,
  RunResult,
  RunStatus,
  TestSummary,
} from '../contracts';
import { NO_USAGE, sumUsage } from '../contracts/usage';
import { recordRunEvent } from './metrics';
import { COST_USD, FIX_ITERATIONS, RUN_STATUS, SECURITY_INCIDENTS } from './search-attributes';

const ENDED: RunStatus[] = ['completed', 'failed', 'cancelled', 'rejected'];
/** How many events the run keeps in its state (and carries over a continue-as-new). */
const EVENTS_KEPT = 1_000;

/**
 * What a run knows about itself: the answer of the progress query, and at the end its result. The run's
 * status is set here only, and mirrored to the `DevcrewStatus` search attribute every time.
 */
/** Ended runs carry their security incidents (DevcrewSecurityIncidents) for the ramp's analysis. */
export const SECURITY_FIGURES = 'security-figures';

export class RunState {
  readonly progress: Omit<RunProgress, 'pending_gates'>;
  artifacts: RunResult['artifacts'] = null;

  /** The integration's result; a publish to the team's repository (or its failure) becomes an event. */
  integrated(result: NonNullable<RunResult['artifacts']>): void {
    this.artifacts = result;
    const p = result.publish;
    if (!p) return;
    this.emit(
      'artifacts_published',
      p.status === 'pushed'
        ? `published ${result.branch} and ${p.refs.length - 1} other ref(s) to ${p.url}`
        : `could not publish to ${p.url || 'the team repository'} after ${p.attempts} attempt(s); the results stay in the store: ${p.error ?? ''}`,
      { status: p.status },
    );
  }
  /** The tests that decided the run, with their report. */
  finalTests: { summary: TestSummary; path: string | null } | null = null;
  /**
   * Each task's tests at its latest test run, by test id. A task's newer run replaces its older one
   * whole, so a test a Debugger round removed or renamed no longer counts.
   */
  private testsByTask = new Map<string, Record<string, string>>();
  /** The newest events, in order (older ones are in the history). */
  events: RunEvent[];

  constructor(input: RunInput) {
    const { options } = input;
    this.progress = {
      run_id: input.run_id,
      mode: input.mode?.mode ?? 'crew',
      mode_reason: input.mode?.reason ?? 'crew (no mode given)',
      status: 'running',
      request: input.request ?? input.todo_list?.request ?? input.resume?.todo_list.request ?? '',
      todo_list_id: input.todo_list?.todo_list_id ?? null,
      tasks: [],
      usage: { ...NO_USAGE },
      usage_by_role: {},
      budget_usd: options.budget_usd ?? 1,
      model: input.model ?? null,
      plan: input.resume?.todo_list ?? input.todo_list ?? null,
      last_event_seq: 0,
    };
    this.events = input.resume?.events ?? [];
    const carried = input.resume?.test_outcomes_by_task;
    if (carried)
      for (const [task, tests] of Object.entries(carried)) this.testsByTask.set(task, { ...tests });
    // A run continued by an older version carried one flat record: kept, under no task.
    else if (input.resume?.test_outcomes) this.testsByTask.set('', { ...input.resume.test_outcomes });
    this.progress.last_event_seq = this.events.at(-1)?.seq ?? 0;
    if (!input.resume) {
      this.emit('run_started', `${this.progress.mode} run started: ${this.progress.request.slice(0, 200)}`);
    }
  }

  /** Records an event for the live views (`GET /v1/runs/{id}/events`, the CLI). */
  emit(
    type: RunEvent['type'],
    message: string,
    extra: Partial<Omit<RunEvent, 'seq' | 'at' | 'type' | 'message'>> = {},
  ): void {
    const seq = this.progress.last_event_seq + 1;
    this.progress.last_event_seq = seq;
    this.events.push({ seq, at: now(), type, message, ...extra });
    recordRunEvent({ type, ...extra }, this.progress.mode, this.progress.tasks, () => this.fixIterations());
    if (this.events.length > EVENTS_KEPT) this.events.splice(0, this.events.length - EVENTS_KEPT);
  }

  /** The newest event of a type. */
  last(type: RunEvent['type']): RunEvent | undefined {
    for (let i = this.events.length - 1; i >= 0; i--)
      if (this.events[i]!.type === type) return this.events[i];
    return undefined;
  }

  /** Events after `seq`, oldest first. */
  eventsAfter(seq: number): RunEvent[] {
    return this.events.filter((e) => e.seq > seq);
  }

  get status(): RunStatus {
    return this.progress.status;
  }

  setStatus(status: RunStatus): void {
    this.progress.status = status;
    if (ENDED.includes(status)) {
      this.emit('run_finished', `run ${status}${this.progress.error ? `: ${this.progress.error}` : ''}`, {
        status,
      });
    }
    upsertSearchAttributes([
      { key: RUN_STATUS, value: status },
      // The figures of an ended run travel with its final status, in the same command.
      ...(ENDED.includes(status)
        ? [
            { key: COST_USD, value: this.progress.usage.cost_usd },
            { key: FIX_ITERATIONS, value: this.fixIterations() },
            ...(patched(SECURITY_FIGURES)
              ? [{ key: SECURITY_INCIDENTS, value: this.securityIncidents() }]
              : []),
          ]
        : []),
    ]);
  }

  fail(status: Extract<RunStatus, 'failed' | 'rejected' | 'cancelled'>, error: string): void {
    this.progress.error = error;
    this.setStatus(status);
  }

  /**
   * What the rollout's analysis counts as a security incident: a completed task whose code carried a
   * high-severity bandit finding (it reached the integration branch), or a task that broke a sandbox limit.
   */
  securityIncidents(): number {
    return this.progress.tasks.filter(
      (t) =>
        (t.status === 'completed' && (t.build?.security_high ?? 0) > 0) || /SANDBOX_OOM/.test(t.error ?? ''),
    ).length;
  }

  /** Repair rounds over every task: the crew's Debugger rounds, the single agent's attempts after the first. */
  fixIterations(): number {
    return this.progress.tasks.reduce((sum, t) => sum + t.rounds, 0);
  }

  /** A step's model usage, added to the run's and its role's. */
  addUsage(usage: ModelUsage | undefined, role: string): void {
    if (!usage || (usage.calls === 0 && usage.cache_hits === 0)) return;
    this.progress.usage = sumUsage(this.progress.usage, usage);
    this.progress.usage_by_role[role] = sumUsage(this.progress.usage_by_role[role] ?? NO_USAGE, usage);
  }

  setModel(model: ModelInfo): void {
    this.progress.model = model;
  }

  snapshot(pendingGates: PendingGate[]): RunProgress {
    return { ...this.progress, pending_gates: pendingGates };
  }

  result(pendingGates: PendingGate[]): RunResult {
    return {
      ...this.snapshot(pendingGates),
      artifacts: this.artifacts,
      test_summary: this.testTotals(),
      test_report_path: this.finalTests?.path ?? null,
      events: this.events,
    };
  }

  /** A tester step's outcomes: they replace the task's earlier run of its tests. */
  recordTests(taskId: string, outcomes: Record<string, string> | undefined): void {
    if (!outcomes) return;
    this.testsByTask.delete(taskId); // re-inserted last: the newest run wins a test two tasks ran
    this.testsByTask.set(taskId, outcomes);
  }

  /** Every test the run's tasks ran at their latest, by id: a test run by two tasks counts once. */
  private get testOutcomes(): Record<string, string> {
    return Object.assign({}, ...this.testsByTask.values()) as Record<string, string>;
  }

  /** What a continued run carries on (see `recordTests`). */
  testOutcomesByTask(): Record<string, Record<string, string>> {
    return Object.fromEntries(this.testsByTask);
  }

  /**
   * The run's test figures: each distinct test once, at its latest outcome (the Coder's run of a test and
   * the Tester's run of the same test are one test); the time is every task's latest run added up. Null
   * when no task ran any.
   */
  testTotals(): TestSummary | null {
    const ran = this.progress.tasks.flatMap((t) => (t.test_summary ? [t.test_summary] : []));
    if (ran.length === 0) return this.finalTests?.summary ?? null; // a run continued from before totals
    const outcomes = Object.values(this.testOutcomes);
    if (outcomes.length > 0) {
      const count = (s: string) => outcomes.filter((o) => o === s).length;
      return {
        passed: count('passed'),
        failed: count('failed'),
        skipped: count('skipped'),
        errors: count('error'),
        duration_s: Math.round(ran.reduce((sum, s) => sum + s.duration_s, 0) * 1000) / 1000,
        tests: outcomes.length,
      };
    }
    return ran.reduce((a, b) => ({
      passed: a.passed + b.passed,
      failed: a.failed + b.failed,
      skipped: a.skipped + b.skipped,
      errors: a.errors + b.errors,
      duration_s: Math.round((a.duration_s + b.duration_s) * 1000) / 1000,
    }));
  }
}

export const now = (): string => new Date().toISOString();
