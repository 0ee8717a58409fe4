import { randomUUID } from 'node:crypto';
import {
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { TASK_QUEUES } from '../activities/types';
import { ArtifactStoreError, type GitArtifactStore } from '../artifacts';
import type {
  GateDecisionRequest,
  GateOutcome,
  ModelInfo,
  RunInput,
  RunProgress,
  StartRunRequest,
} from '../contracts';
import { decideGateUpdate, progressQuery } from '../workflows/definitions';
import { runIdFor } from '../workflows/run-id';
import { RUN_STATUS } from '../workflows/search-attributes';
import { GateNotFound, GateNotPending, RunNotFound, type RunsService } from './runs-service';

const WORKFLOW_TYPE = 'developWorkflow';

/** The runs, as Temporal holds them: one workflow per run, its id the run id. */
export function temporalRuns(deps: {
  client: Client;
  model: ModelInfo;
  artifacts: () => Promise<GitArtifactStore>;
  /** Task queues, when not the standard ones (tests side by side on one server). */
  queues?: Record<keyof typeof TASK_QUEUES, string>;
}): RunsService {
  const { client } = deps;
  const handle = (id: string) => client.workflow.getHandle(id);

  async function describe(id: string): Promise<WorkflowExecutionDescription> {
    try {
      const d = await handle(id).describe();
      if (d.type !== WORKFLOW_TYPE) throw new RunNotFound(`"${id}" is not a devcrew run`);
      return d;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new RunNotFound(`no run "${id}"`);
      throw err;
    }
  }

  const service = {
    async start(body: StartRunRequest) {
      const request = body.request ?? body.todo_list!.request;
      const run_id = runIdFor(request, randomUUID().slice(0, 8));
      const input: RunInput = {
        run_id,
        ...(body.request ? { request: body.request } : { todo_list: body.todo_list }),
        options: body.options ?? {},
        model: deps.model,
        ...(deps.queues ? { task_queues: { agents: deps.queues.agents, sandbox: deps.queues.sandbox } } : {}),
      };
      await client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: deps.queues?.runs ?? TASK_QUEUES.runs,
        workflowId: run_id,
        args: [input],
      });
      return { run_id };
    },

    async list({ status, limit }: { status?: string; limit: number }) {
      const query = `WorkflowType = '${WORKFLOW_TYPE}'${status ? ` AND ${RUN_STATUS.name} = '${status}'` : ''}`;
      const out: unknown[] = [];
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

    async get(id: string) {
      const d = await describe(id);
      const h = handle(id);
      if (d.status.name === 'RUNNING') {
        const progress = await h.query(progressQuery);
        // The run has decided its outcome and is closing: answer with its result, not a half-way view.
        if (['running', 'awaiting_approval'].includes(progress.status)) return { ...progress, result: null };
      }
      if (d.status.name === 'RUNNING' || d.status.name === 'COMPLETED') {
        const result = (await h.result().catch(() => undefined)) as RunProgress | undefined;
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
        throw new GateNotPending(`run ${id} is ${d.status.name.toLowerCase()}; its gates are closed`);
      try {
        return await handle(id).executeUpdate(decideGateUpdate, { args: [{ ...decision, gate_id: gateId }] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) {
          const cause = err.cause as { type?: string; message?: string } | undefined;
          if (cause?.type === 'GATE_NOT_FOUND') throw new GateNotFound(cause.message ?? 'no such gate');
          if (cause?.type === 'GATE_NOT_PENDING')
            throw new GateNotPending(cause.message ?? 'gate not pending');
        }
        throw err;
      }
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
        if (err instanceof ArtifactStoreError && err.code === 'ARTIFACT_NOT_FOUND') {
          return { workflow_id: id, integration: null, tasks: [] };
        }
        throw err;
      }
    },
  };
  return service;
}

function innermost(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
