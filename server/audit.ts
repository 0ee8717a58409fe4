import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, optionalTsToDate } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type {
  AuditEntry,
  GateDecision,
  RollbackRequest,
  RolloutChange,
  RunInput,
  RunRating,
} from '../contracts';
import type { UsersStore } from './users';

type Payloads = temporal.api.common.v1.IPayloads | null | undefined;
const args = (p: Payloads): unknown[] =>
  (p?.payloads ?? []).map((x) => {
    try {
      return defaultPayloadConverter.fromPayload(x);
    } catch {
      return undefined;
    }
  });

/**
 * The changes recorded in a workflow's histories (every run of its continue-as-new chain), read back
 * from the Update, Signal, start and cancellation events themselves: who started a run, decided a gate,
 * cancelled it, changed or rolled back the rollout, with the credential id each carried.
 */
export async function historyAudit(client: Client, workflowId: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  const executions: (string | undefined)[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId.replace(/'/g, '')}'` }))
    executions.push(w.runId);
  if (executions.length === 0) executions.push(undefined);
  for (const runId of executions) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    for (const e of history.events ?? []) {
      const at = optionalTsToDate(e.eventTime)?.toISOString() ?? '';
      const add = (
        action: AuditEntry['action'],
        by: string,
        credential: string | null | undefined,
        detail: string,
      ) => out.push({ at, subject: workflowId, action, by, credential_id: credential ?? null, detail });
      const started = e.workflowExecutionStartedEventAttributes;
      if (started && !started.continuedExecutionRunId) {
        const input = args(started.input)[0] as Partial<RunInput> | undefined;
        if (input && 'run_id' in input) {
          const by = input.requested_by;
          add(
            'start',
            by?.name ?? started.identity ?? 'unknown',
            by?.credential_id,
            `run started (${input.mode?.mode ?? 'crew'}): ${(input.request ?? input.todo_list?.request ?? '').slice(0, 200)}`,
          );
        }
      }
      const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
      const signal = e.workflowExecutionSignaledEventAttributes;
      const name = update?.name ?? signal?.signalName;
      const value = args(update ? update.args : signal?.input)[0];
      const via = update ? 'update' : 'signal';
      if (name === 'decideGate' && value) {
        const d = value as GateDecision;
        add(
          'gate_decision',
          d.by?.name ?? d.approver,
          d.by?.credential_id,
          `${d.decision} gate ${d.gate_id} (${via})${d.comment ? `: ${d.comment}` : ''}`,
        );
      } else if (name === 'changeRollout' && value) {
        const c = value as RolloutChange;
        const what = [
          c.enabled !== undefined ? `enabled=${c.enabled}` : '',
          c.percent !== undefined ? `percent=${c.percent}` : '',
          c.stages ? `stages=${c.stages.join(',')}` : '',
          c.auto_rollback ? 'auto_rollback changed' : '',
        ].filter(Boolean);
        add('rollout_change', c.by ?? 'unknown', c.credential_id, `${what.join(' ')}: ${c.reason}`);
      } else if (name === 'rateRun' && value) {
        const r = value as RunRating;
        add(
          'rating',
          r.by,
          r.credential_id,
          `rated ${r.run_id} ${r.rating}/5${r.comment ? `: ${r.comment}` : ''}`,
        );
      } else if (name === 'rollback' && value) {
        const r = value as RollbackRequest;
        add('rollback', r.by ?? 'unknown', r.credential_id, `rollback (${via}): ${r.reason}`);
      }
      const cancel = e.workflowExecutionCancelRequestedEventAttributes;
      if (cancel)
        add(
          'cancel',
          cancel.identity || 'unknown',
          /credential ([^)\s]+)\)/.exec(cancel.cause ?? '')?.[1],
          cancel.cause || 'cancel requested',
        );
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

/** Who added and revoked which user, from the users file. */
export async function usersAudit(users: UsersStore): Promise<AuditEntry[]> {
  return (await users.audit()).map((u) => ({
    at: u.at,
    subject: 'users',
    action: u.action === 'add' ? 'user_add' : 'user_revoke',
    by: u.by,
    credential_id: u.by_credential_id,
    detail: `${u.action} ${u.name} (${u.role}, ${u.credential_id})`,
  }));
}
