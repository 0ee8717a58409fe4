import { randomUUID } from 'node:crypto';
import { optionalTsToDate } from '@temporalio/common';
import {
  isGrpcDeadlineError,
  ServiceError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  WorkflowNotFoundError,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { isArtifactStoreError, type GitArtifactStore } from '../artifacts';
import {
  decideMode,
  type Actor,
  type GatePolicy,
  RunMode,
  taskQueues,
  type GateDecision,
  type GateDecisionRequest,
  type GateOutcome,
  type GateRecorded,
  type LastKnownRun,
  type ModelInfo,
  type RunInput,
  type RunResult,
  type RunSummary,
  type RunView,
  type StartRunRequest,
  type TaskQueues,
} from '../contracts';
import { DevcrewError } from '../core/errors';
import { decideGateSignal, decideGateUpdate, eventsQuery, progressQuery } from '../workflows/definitions';
import type { developWorkflow } from '../workflows/develop';
import { runIdFor } from '../workflows/run-id';
import {
  COST_USD,
  FIX_ITERATIONS,
  MODE,
  REQUEST,
  RUN_STATUS,
  TODO_LIST_ID,
} from '../workflows/search-attributes';
import type { singleAgentWorkflow } from '../workflows/single-agent';
import type { RolloutService } from './rollout-service';
import { providerWait } from './provider-wait';
import type { RunsService } from './runs-service';

/** The workflow type of each mode; a run is one of these. */
const WORKFLOW_TYPES = {
  crew: 'developWorkflow',
  'single-agent': 'singleAgentWorkflow',
} as const satisfies Record<RunMode, (typeof developWorkflow | typeof singleAgentWorkflow)['name']>;
const RUN_TYPES: readonly string[] = Object.values(WORKFLOW_TYPES);

/** The runs, as Temporal holds them: one workflow per run, its workflow id the run id. */
export function temporalRuns(deps: {
  client: Client;
  model: ModelInfo;
  artifacts: () => Promise<GitArtifactStore>;
  /** Task queues, when not the standard ones (deployments or tests side by side on one namespace). */
  queues?: TaskQueues;
  /** Decides the mode of `auto` runs. */
  rollout: Pick<RolloutService, 'state'>;
  /** How gates of runs started by authenticated people are decided (DEVCREW_GATE_*). */
  gatePolicy?: GatePolicy;
}): RunsService {
  const { client } = deps;
  const queues = deps.queues ?? taskQueues();
  const handle = (id: string) => client.workflow.getHandle<typeof developWorkflow>(id);
  const modeOf = (d: WorkflowExecutionDescription) =>
    RunMode.safeParse(d.typedSearchAttributes.get(MODE)).data ?? null;
  /** Who asked for the run and its gate policy, as its memo recorded them at start. */
  const memoOf = (d: WorkflowExecutionDescription) => {
    const m = (d.memo ?? {}) as { requested_by?: unknown; four_eyes?: unknown };
    return {
      requester: typeof m.requested_by === 'string' ? m.requested_by : undefined,
      fourEyes: m.four_eyes === true,
    };
  };

  async function describe(id: string): Promise<WorkflowExecutionDescription> {
    try {
      const d = await handle(id).describe();
      if (!RUN_TYPES.includes(d.type))
        throw new DevcrewError('RUN_NOT_FOUND', `"${id}" is not a devcrew run`);
      return d;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new DevcrewError('RUN_NOT_FOUND', `no run "${id}"`);
      throw err;
    }
  }

  /** Whether a worker polls the runs queue now (Temporal keeps a dead poller listed for about a minute). */
  async function runsWorkerPolls(): Promise<boolean> {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: queues.runs },
      taskQueueType: 1, // workflow
    });
    const fresh = Date.now() - POLLER_FRESH_MS;
    return (res.pollers ?? []).some((p) => (optionalTsToDate(p.lastAccessTime)?.getTime() ?? 0) > fresh);
  }

  /**
   * A query or an update, given a deadline: undefined when no worker polls or none answers in time (the
   * run's workers are down), so callers fall back instead of hanging.
   */
  async function answered<T>(call: () => Promise<T>, ms = QUERY_WAIT_MS): Promise<T | undefined> {
    if (!(await runsWorkerPolls())) return undefined;
    try {
      return await client.connection.withDeadline(Date.now() + ms, call);
    } catch (err) {
      if (isGrpcDeadlineError(err) || isGrpcDeadlineError((err as { cause?: unknown }).cause))
        return undefined;
      // A query the server could not deliver (the worker it went to died under it) is the workers being
      // down too: the caller shows the last known state, labelled as such.
      if (err instanceof ServiceError && /Failed to query Workflow/.test(err.message)) return undefined;
      // An Update that no worker took within the deadline ends this way rather than as a gRPC deadline.
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return undefined;
      throw err;
    }
  }

  /** What a run recorded in its search attributes: the state to show while its workers are down. */
  function lastKnown(d: WorkflowExecutionDescription): LastKnownRun {
    return {
      run_id: d.workflowId,
      mode: modeOf(d),
      status: d.typedSearchAttributes.get(RUN_STATUS) ?? 'running',
      request: d.typedSearchAttributes.get(REQUEST) ?? null,
      todo_list_id: d.typedSearchAttributes.get(TODO_LIST_ID) ?? null,
      workers_down: true,
      message:
        'no devcrew worker answers, so this is the last state the run recorded; it carries on where it was when the workers return (devcrew up, or devcrew worker)',
      result: null,
    };
  }

  const service: RunsService = {
    async start(body: StartRunRequest, by?: Actor) {
      const request = body.request ?? body.todo_list!.request;
      const run_id = runIdFor(request, randomUUID().slice(0, 8));
      const requested = body.options?.mode ?? 'auto';
      const mode =
        requested === 'auto'
          ? decideMode('auto', await deps.rollout.state(), run_id)
          : decideMode(requested, undefined, run_id);
      // The policy binds people (a devcrew token, an identity provider's JWT). The person at the keyboard of
      // an unconfigured devcrew, and the shared bootstrap credential (which names nobody), decide as always.
      const policy = by && (by.via === 'token' || by.via === 'jwt') ? deps.gatePolicy : undefined;
      const input: RunInput = {
        run_id,
        ...(by ? { requested_by: by } : {}),
        ...(policy ? { gate_policy: policy } : {}),
        ...(body.request ? { request: body.request } : { todo_list: body.todo_list }),
        options: body.options ?? {},
        model: deps.model,
        mode,
        ...(deps.queues ? { task_queues: { agents: queues.agents, sandbox: queues.sandbox } } : {}),
      };
      await client.workflow.start<typeof developWorkflow>(WORKFLOW_TYPES[mode.mode], {
        taskQueue: queues.runs,
        workflowId: run_id,
        args: [input],
        // The Web UI's run page: what this run is for, before any step has run.
        staticSummary: `${mode.mode === 'crew' ? 'Crew' : 'Single agent'}: ${request.replace(/\s+/g, ' ').slice(0, 120)}`,
        staticDetails: runDetails(input, request),
        ...(by ? { memo: { requested_by: by.name, four_eyes: policy?.four_eyes === true } } : {}),
      });
      return { run_id, mode: mode.mode };
    },

    async list({ status, mode, limit }) {
      const query = [
        `(${RUN_TYPES.map((t) => `WorkflowType = '${t}'`).join(' OR ')})`,
        // This deployment's runs only (several may share a namespace, each with its own queues).
        `TaskQueue = '${queues.runs}'`,
        ...(status ? [statusFilter(status)] : []),
        ...(mode ? [`${MODE.name} = '${mode}'`] : []),
      ].join(' AND ');
      const out: RunSummary[] = [];
      for await (const w of client.workflow.list({ query })) {
        out.push({
          run_id: w.workflowId,
          mode: RunMode.safeParse(w.typedSearchAttributes.get(MODE)).data ?? null,
          status: runStatusOf(w.typedSearchAttributes.get(RUN_STATUS), w.status.name),
          temporal_status: w.status.name,
          request: w.typedSearchAttributes.get(REQUEST) ?? null,
          cost_usd: w.typedSearchAttributes.get(COST_USD) ?? null,
          fix_iterations: w.typedSearchAttributes.get(FIX_ITERATIONS) ?? null,
          started_at: w.startTime.toISOString(),
          closed_at: w.closeTime?.toISOString() ?? null,
        });
        if (out.length >= limit) break;
      }
      return out;
    },

    async get(id): Promise<RunView> {
      const d = await describe(id);
      const h = handle(id);
      if (d.status.name === 'RUNNING') {
        const progress = await answered(() => h.query(progressQuery));
        if (progress === undefined) return lastKnown(d);
        // The run has decided its outcome and is closing: answer with its result, not a half-way view.
        if (['running', 'awaiting_approval'].includes(progress.status)) {
          return { ...progress, result: null, waiting_for: providerWait(d) };
        }
      }
      if (d.status.name === 'RUNNING' || d.status.name === 'COMPLETED') {
        const result: RunResult | undefined = await h.result().catch(() => undefined);
        if (result) return { ...result, result };
      }
      const failure = await h.result().then(
        () => undefined,
        (err: unknown) => innermost(err),
      );
      return {
        run_id: id,
        mode: modeOf(d),
        status: d.status.name === 'CANCELLED' ? 'cancelled' : 'failed',
        error: failure ?? d.status.name.toLowerCase(),
        result: null,
      };
    },

    async decide(
      id: string,
      gateId: string,
      decision: GateDecisionRequest,
      by?: Actor,
    ): Promise<GateOutcome | GateRecorded> {
      const d = await describe(id);
      if (d.status.name !== 'RUNNING')
        throw new DevcrewError(
          'GATE_NOT_PENDING',
          `run ${id} is ${d.status.name.toLowerCase()}; its gates are closed`,
        );
      const approver = by?.name ?? decision.approver?.trim();
      if (!approver) throw new DevcrewError('INVALID_DECISION', 'name who decides (approver)');
      // Refused here too, so a decision sent while the workers are down is refused now, not dropped later.
      const { requester, fourEyes } = memoOf(d);
      if (by && decision.decision === 'approve' && fourEyes && requester === by.name)
        throw new DevcrewError(
          'SELF_APPROVAL',
          `${by.name} requested run ${id} and may not approve its gates (four eyes)`,
          'another approver must decide',
        );
      const full: GateDecision = {
        gate_id: gateId,
        decision: decision.decision,
        approver,
        ...(decision.comment !== undefined ? { comment: decision.comment } : {}),
        ...(decision.budget_usd !== undefined ? { budget_usd: decision.budget_usd } : {}),
        ...(by ? { by } : {}),
      };
      // An Update answers with the outcome (or the validator's refusal, GATE_NOT_FOUND / GATE_NOT_PENDING,
      // as the cause's type), but needs a worker; without one the decision goes as a signal, which the
      // server keeps until a worker applies it.
      const outcome = await answered(
        () => handle(id).executeUpdate(decideGateUpdate, { args: [full] }),
        UPDATE_WAIT_MS,
      );
      if (outcome !== undefined) return outcome;
      await handle(id).signal(decideGateSignal, full);
      return {
        gate_id: gateId,
        decision: decision.decision,
        status: 'recorded',
        message: `no worker answered within ${UPDATE_WAIT_MS / 1000} s; the decision is recorded and applied when the workers return (a gate that is no longer pending ignores it)`,
      };
    },

    async *events(id, { after, signal, onWait }) {
      let last = after;
      let waiting: string | null = null;
      for (;;) {
        if (signal?.aborted) return;
        const d = await describe(id);
        const h = handle(id);
        if (onWait) {
          const wait = d.status.name === 'RUNNING' ? providerWait(d) : null;
          const key = wait ? `${wait.activity}:${wait.attempts}` : null;
          if (key !== waiting) onWait(wait);
          waiting = key;
        }
        if (d.status.name === 'RUNNING') {
          // Without a worker the run cannot answer: keep the stream open and ask again.
          const fresh = (await answered(() => h.query(eventsQuery, last))) ?? [];
          for (const e of fresh) {
            yield e;
            last = e.seq;
            if (e.type === 'run_finished') return;
          }
        } else {
          const result: RunResult | undefined = await h.result().catch(() => undefined);
          for (const e of result?.events.filter((x) => x.seq > last) ?? []) {
            yield e;
            last = e.seq;
          }
          if (!result?.events.some((e) => e.type === 'run_finished')) {
            // The run ended without its closing event (it failed before it could say so).
            const view = await service.get(id);
            yield {
              seq: last + 1,
              at: (d.closeTime ?? new Date()).toISOString(),
              type: 'run_finished',
              message: `run ${view.status}${'error' in view && view.error ? `: ${view.error}` : ''}`,
              status: view.status,
            };
          }
          return;
        }
        await new Promise((r) => setTimeout(r, EVENT_POLL_MS));
      }
    },

    async cancel(id: string, by?: Actor) {
      const d = await describe(id);
      if (by && by.role === 'requester' && memoOf(d).requester !== by.name)
        throw new DevcrewError(
          'FORBIDDEN',
          `${by.name} is a requester and may cancel only their own runs; run ${id} is ${memoOf(d).requester ?? 'nobody'}'s`,
          'ask its requester, or an admin',
        );
      if (!by) {
        await handle(id).cancel();
        return;
      }
      // The cancellation names who asked, and with which credential, in the run's history.
      await client.workflowService.requestCancelWorkflowExecution({
        namespace: client.options.namespace,
        identity: by.name,
        requestId: randomUUID(),
        workflowExecution: { workflowId: id },
        reason: `cancelled by ${by.name} (${by.role}, credential ${by.credential_id})`,
      });
    },

    async artifacts(id: string) {
      await describe(id);
      try {
        return await (await deps.artifacts()).describeRun(id);
      } catch (err) {
        if (isArtifactStoreError(err, 'ARTIFACT_NOT_FOUND'))
          return { run_id: id, integration: null, tasks: [] };
        throw err;
      }
    },
  };
  return service;
}

/** How often a live event stream asks the run for news. */
const EVENT_POLL_MS = 300;
/** How long a query may take before the run counts as unreachable (its workers down). */
const QUERY_WAIT_MS = 4_000;
/** How long a gate decision waits for a worker to apply it before it is recorded as a signal. */
const UPDATE_WAIT_MS = 8_000;
/** A poller seen this recently is alive (workers poll with a one-minute long poll). */
const POLLER_FRESH_MS = 75_000;

/** The run page's details in the Web UI (Markdown): the request, the mode and why, the options. */
function runDetails(input: RunInput, request: string): string {
  const o = input.options;
  return [
    `**Request:** ${request}`,
    '',
    `**Mode:** ${input.mode?.mode ?? 'crew'} (${input.mode?.reason ?? 'default'})`,
    '',
    `**Model:** ${input.model ? (input.model.provider === 'scripted' ? 'scripted (a test double replaying recorded answers)' : `${input.model.provider} ${input.model.name}`) : "the workers' default"}`,
    '',
    `**Budget:** $${(o.budget_usd ?? 1).toFixed(2)}`,
    '',
    input.todo_list
      ? `**Plan given:** ${input.todo_list.todo_list_id}, ${input.todo_list.tasks.length} task(s)`
      : '**Plan:** made by the Planner (see the current details once it is ready)',
  ].join('\n');
}

const ENDED: readonly string[] = ['completed', 'failed', 'cancelled', 'rejected'];

/**
 * A run's status from what it recorded and what Temporal says of its workflow. A run that ended through
 * its own code recorded its end; one that Temporal closed without its code running (terminated, timed
 * out, failed by a bug) never did, and is never shown `running` once its workflow is closed.
 */
export function runStatusOf(recorded: string | undefined, temporal: string): string {
  if (temporal === 'RUNNING') return recorded ?? 'running';
  if (recorded && ENDED.includes(recorded)) return recorded;
  if (temporal === 'CANCELLED') return 'cancelled';
  if (temporal === 'COMPLETED') return recorded ?? 'completed';
  return 'failed'; // FAILED, TERMINATED, TIMED_OUT
}

/** The visibility query for a status, the same reading as runStatusOf. */
function statusFilter(status: string): string {
  const recorded = `${RUN_STATUS.name} = '${status}'`;
  switch (status) {
    case 'running':
    case 'awaiting_approval':
      return `${recorded} AND ExecutionStatus = 'Running'`;
    case 'failed':
      return `(${recorded} OR ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut'))`;
    case 'cancelled':
      return `(${recorded} OR ExecutionStatus = 'Canceled')`;
    default:
      return recorded;
  }
}

function innermost(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
