import { workflowFailure } from '../core/failure';
import type { Gates } from './gates';
import type { RunState } from './run-state';

/**
 * The budget gate: before a model is paid, a run over its budget waits for a person, who extends it
 * (to the budget they name, or double) or refuses (BUDGET_EXCEEDED).
 */
export class Budget {
  private gatesOpened = 0;

  constructor(
    private readonly run: RunState,
    private readonly gates: Gates,
  ) {}

  async ensure(forWhat: string): Promise<void> {
    const p = this.run.progress;
    while (p.usage.cost_usd >= p.budget_usd) {
      const gateId = `budget-${++this.gatesOpened}`;
      const outcome = await this.gates.wait(
        gateId,
        'budget',
        `spent $${p.usage.cost_usd.toFixed(4)} of $${p.budget_usd.toFixed(2)}; approve with a higher budget_usd to continue ${forWhat}`,
      );
      if (outcome.outcome === 'rejected')
        throw workflowFailure(
          'BUDGET_EXCEEDED',
          `the run spent $${p.usage.cost_usd.toFixed(4)} of its $${p.budget_usd.toFixed(2)} budget and the extension was rejected`,
          { run_id: p.run_id, gate_id: gateId },
        );
      const raised = this.gates.decisionOf(gateId)?.budget_usd;
      p.budget_usd = raised && raised > p.budget_usd ? raised : p.budget_usd * 2;
    }
  }
}
