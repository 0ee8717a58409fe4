import { randomUUID } from 'node:crypto';
import { type Client, WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { isArtifactStoreError, type GitArtifactStore } from '../artifacts';
import {
  taskQueues,
  type GateDecisionRequest,
  type GateOutcome,
  type ModelInfo,
  type RunInput,
  type RunResult,
  type RunSummary,
  type RunView,
  type StartRunRequest,
  type TaskQueues,
} from '../contracts';
import { DevcrewError } from '../core/errors';
import { decideGateUpdate, progressQuery } from '../workflows/definitions';
import type { developWorkflow } from '../workflows/develop';
import { runIdFor } from '../workflows/run-id';
import { RUN_STATUS } from '../workflows/search-attributes';
import type { RunsService } from './runs-service';

const WORKFLOW_TYPE = 'developWorkflow' satisfies typeof developWorkflow.name;

/** The runs, as Temporal holds them: one workflow per run, its workflow id the run id. */
export function temporalRuns(deps: {
  client: Client;
  model: ModelInfo;
  artifacts: () => Promise<GitArtifactStore>;
  /** Task queues, when not the standard ones (deployments or tests side by side on one namespace). */
  queues?: TaskQueues;
}): RunsService {
  const { client } = deps;
  const queues = deps.queues ?? taskQueues();
  const handle = (id: string) => client.workflow.getHandle<typeof developWorkflow>(id);

  async function describe(id: string): Promise<WorkflowExecutionDescription> {
    try {
      const d = await handle(id).describe();
      if (d.type !== WORKFLOW_TYPE) throw new DevcrewError('RUN_NOT_FOUND', `"${id}" is not a devcrew run`);
      return d;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new DevcrewError('RUN_NOT_FOUND', `no run "${id}"`);
      throw err;
    }
  }

  return {
    async start(body: StartRunRequest) {
      const request = body.request ?? body.todo_list!.request;
      const run_id = runIdFor(request, randomUUID().slice(0, 8));
      const input: RunInput = {
        run_id,
        ...(body.request ? { request: body.request } : { todo_list: body.todo_list }),
        options: body.options ?? {},
        model: deps.model,
        ...(deps.queues ? { task_queues: { agents: queues.agents, sandbox: queues.sandbox } } : {}),
      };
      await client.workflow.start<typeof developWorkflow>(WORKFLOW_TYPE, {
        taskQueue: queues.runs,
        workflowId: run_id,
        args: [input],
      });
      return { run_id };
    },

    async list({ status, limit }) {
      const query = `WorkflowType = '${WORKFLOW_TYPE}'${status ? ` AND ${RUN_STATUS.name} = '${status}'` : ''}`;
      const out: RunSummary[] = [];
      for await (const w of client.workflow.list({ query })) {
        out.push({
          run_id: w.workflowId,
          status: w.typedSearchAttributes.get(RUN_STATUS) ?? w.status.name.toLowerCase(),
          temporal_status: w.status.name,
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
        const progress = await h.query(progressQuery);
        // The run has decided its outcome and is closing: answer with its result, not a half-way view.
        if (['running', 'awaiting_approval'].includes(progress.status)) return { ...progress, result: null };
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
        status: d.status.name === 'CANCELLED' ? 'cancelled' : 'failed',
        error: failure ?? d.status.name.toLowerCase(),
        result: null,
      };
    },

    async decide(id: string, gateId: string, decision: GateDecisionRequest): Promise<GateOutcome> {
      const d = await describe(id);
      if (d.status.name !== 'RUNNING')
        throw new DevcrewError(
          'GATE_NOT_PENDING',
          `run ${id} is ${d.status.name.toLowerCase()}; its gates are closed`,
        );
      // A refusal by the workflow's validator (GATE_NOT_FOUND, GATE_NOT_PENDING) keeps its type as the cause.
      return handle(id).executeUpdate(decideGateUpdate, { args: [{ ...decision, gate_id: gateId }] });
    },

    async cancel(id: string) {
      await describe(id);
      await handle(id).cancel();
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
}

function innermost(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
