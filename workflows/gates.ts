import { condition, log } from '@temporalio/workflow';
import type {
  Actor,
  GateDecision,
  GateOutcome,
  GatePolicy,
  PendingGate,
  RunOptions,
  Signature,
} from '../contracts';
import { workflowFailure } from '../core/failure';
import { now, type RunState } from './run-state';

interface Gate extends PendingGate {
  decision?: GateDecision;
  outcome?: GateOutcome;
  /** Under a policy of several approvers: the approvals counted so far, by name. */
  approvals?: string[];
}

/**
 * The run's approval gates: a gate opens, waits for a person's decision (Update or Signal), and with a
 * timeout the run's `on_timeout` decides (or escalates). While any gate is open the run shows
 * `awaiting_approval`.
 */
export class Gates {
  private readonly gates = new Map<string, Gate>();
  /** Every decision an authenticated person made, in order (approvals counted towards N included). */
  private readonly signed: Signature[] = [];
  private readonly timeoutSeconds: number | undefined;
  private readonly onTimeout: NonNullable<NonNullable<RunOptions['gates']>['on_timeout']>;

  constructor(
    private readonly run: RunState,
    options: RunOptions['gates'],
    /** The deployment's policy and the run's requester (RunInput); none: one approval from anyone. */
    private readonly who: { policy?: GatePolicy | undefined; requester?: Actor | undefined } = {},
  ) {
    this.timeoutSeconds = options?.timeout_seconds;
    this.onTimeout = options?.on_timeout ?? 'reject';
  }

  pending(): PendingGate[] {
    return [...this.gates.values()]
      .filter((g) => !g.outcome)
      .map(({ gate_id, kind, waiting_for, since, escalated_at }) => ({
        gate_id,
        kind,
        waiting_for,
        since,
        ...(escalated_at ? { escalated_at } : {}),
      }));
  }

  /** The decision a gate got, with its comment and budget. */
  decisionOf(gateId: string): GateDecision | undefined {
    return this.gates.get(gateId)?.decision;
  }

  /** Refuses a decision up front (the Update's validator; the Signal logs and ignores it). */
  validate(d: GateDecision): void {
    const run_id = this.run.progress.run_id;
    if (!d || typeof d.gate_id !== 'string')
      throw workflowFailure('INVALID_DECISION', 'a decision needs a gate_id', { run_id });
    const fields = { run_id, gate_id: d.gate_id };
    const gate = this.gates.get(d.gate_id);
    if (!gate)
      throw workflowFailure(
        'GATE_NOT_FOUND',
        `run ${run_id} has no gate "${d.gate_id}"; pending: ${
          this.pending()
            .map((g) => g.gate_id)
            .join(', ') || 'none'
        }`,
        fields,
      );
    if (gate.outcome)
      throw workflowFailure(
        'GATE_NOT_PENDING',
        `gate "${d.gate_id}" was ${gate.outcome.outcome} by ${gate.outcome.approver} already`,
        fields,
      );
    if (d.decision !== 'approve' && d.decision !== 'reject')
      throw workflowFailure('INVALID_DECISION', 'decision must be "approve" or "reject"', fields);
    if (typeof d.approver !== 'string' || d.approver.trim() === '')
      throw workflowFailure('INVALID_DECISION', 'name the approver', fields);
    const { policy, requester } = this.who;
    if (d.decision === 'approve' && policy?.four_eyes && requester && d.approver === requester.name)
      throw workflowFailure(
        'SELF_APPROVAL',
        `${d.approver} requested run ${run_id} and may not approve its gates (four eyes); another approver must`,
        fields,
      );
    if (d.decision === 'approve' && gate.approvals?.includes(d.approver))
      throw workflowFailure(
        'DUPLICATE_APPROVAL',
        `${d.approver} approved gate "${d.gate_id}" already; it needs ${this.needed() - gate.approvals.length} more approval(s) from other people`,
        fields,
      );
  }

  private needed(): number {
    return this.who.policy?.approvals ?? 1;
  }

  /** Who asked for the run and who decided its gates, for the integration commit's provenance. */
  signatures(): Signature[] {
    const { requester } = this.who;
    return [
      ...(requester
        ? [{ act: 'requested', name: requester.name, credential_id: requester.credential_id }]
        : []),
      ...this.signed,
    ];
  }

  decide(d: GateDecision): GateOutcome {
    const gate = this.gates.get(d.gate_id)!;
    if (d.by)
      this.signed.push({
        act: `${d.decision} ${d.gate_id}`,
        name: d.by.name,
        credential_id: d.by.credential_id,
      });
    const needed = this.needed();
    if (d.decision === 'approve' && needed > 1) {
      gate.approvals = [...(gate.approvals ?? []), d.approver];
      const count = { approvals: gate.approvals, approvals_needed: needed };
      if (gate.approvals.length < needed) {
        this.run.emit(
          'gate_decided',
          `gate ${d.gate_id}: approval ${gate.approvals.length} of ${needed} by ${d.approver}${d.comment ? `: ${d.comment}` : ''}`,
          { gate_id: d.gate_id, gate_kind: gate.kind, status: 'pending' },
        );
        return { gate_id: d.gate_id, outcome: 'pending', approver: d.approver, decided_at: now(), ...count };
      }
      gate.decision = d;
      gate.outcome = {
        gate_id: d.gate_id,
        outcome: 'approved',
        approver: gate.approvals.join(', '),
        decided_at: now(),
        ...count,
      };
      this.run.emit('gate_decided', `gate ${d.gate_id} approved by ${gate.outcome.approver}`, {
        gate_id: d.gate_id,
        gate_kind: gate.kind,
        status: 'approved',
      });
      return gate.outcome;
    }
    return this.close(d);
  }

  /** Gives a gate its final outcome (a rejection, a single approval, or the timeout's decision). */
  private close(d: GateDecision): GateOutcome {
    const gate = this.gates.get(d.gate_id)!;
    gate.decision = d;
    gate.outcome = {
      gate_id: d.gate_id,
      outcome: d.decision === 'approve' ? 'approved' : 'rejected',
      approver: d.approver,
      decided_at: now(),
    };
    this.run.emit(
      'gate_decided',
      `gate ${d.gate_id} ${gate.outcome.outcome} by ${d.approver}${d.comment ? `: ${d.comment}` : ''}`,
      { gate_id: d.gate_id, gate_kind: gate.kind, status: gate.outcome.outcome },
    );
    return gate.outcome;
  }

  /** Opens a gate and waits for a person; with a timeout, the configured outcome decides. */
  async wait(gate_id: string, kind: Gate['kind'], waiting_for: string): Promise<GateOutcome> {
    const gate: Gate = { gate_id, kind, waiting_for, since: now() };
    this.gates.set(gate_id, gate);
    this.run.emit('gate_opened', `gate ${gate_id} waits for ${waiting_for}`, { gate_id, gate_kind: kind });
    const before = this.run.status;
    this.run.setStatus('awaiting_approval');
    const timeout = this.timeoutSeconds;
    const decided = timeout
      ? await condition(() => gate.outcome !== undefined, `${timeout} seconds`)
      : (await condition(() => gate.outcome !== undefined), true);
    if (!decided) {
      if (this.onTimeout === 'escalate') {
        // Nobody decided in time: the gate stays open, flagged for whoever watches escalations.
        gate.escalated_at = now();
        gate.waiting_for = `ESCALATED after ${timeout} s without a decision: ${waiting_for}`;
        log.warn('gate escalated', { gate_id, after_seconds: timeout });
        await condition(() => gate.outcome !== undefined);
      } else {
        this.close({
          gate_id,
          decision: this.onTimeout,
          approver: `timeout after ${timeout} s`,
          comment: 'no decision in time',
        });
      }
    }
    this.run.setStatus(before === 'awaiting_approval' ? 'running' : before);
    if (this.pending().length > 0) this.run.setStatus('awaiting_approval');
    return gate.outcome!;
  }

  /** A cancelled run closes every open gate as rejected by the cancellation. */
  closeAll(approver: string): void {
    for (const g of this.gates.values())
      if (!g.outcome) g.outcome = { gate_id: g.gate_id, outcome: 'rejected', approver, decided_at: now() };
  }
}

/** The integration input's `signatures`, only when someone signed (older runs' inputs stay as they were). */
export function signatures(gates: Gates): { signatures?: Signature[] } {
  const list = gates.signatures();
  return list.length > 0 ? { signatures: list } : {};
}
