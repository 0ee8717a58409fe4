import type { ProviderWait, RunProgress } from '../contracts';
import { usageLine } from './usage-line';

/** Prints what changed since the last look: task states, debugger rounds, gates, cost. */
export function progressPrinter(write: (line: string) => void) {
  const seen = new Map<string, string>();
  return (p: RunProgress & { waiting_for?: ProviderWait | null }): void => {
    const show = (key: string, value: string, line: string) => {
      if (seen.get(key) === value) return;
      seen.set(key, value);
      write(line);
    };
    show(
      'run',
      p.status,
      `run ${p.run_id} (${p.mode}): ${p.status}${p.model ? ` (model: ${p.model.provider === 'scripted' ? 'scripted test double' : `${p.model.provider} ${p.model.name}`})` : ''}`,
    );
    for (const t of p.tasks) {
      const last = t.history.at(-1);
      show(
        `task:${t.id}`,
        `${t.status}:${t.history.length}`,
        `  ${t.id.padEnd(22)} ${t.status.padEnd(17)} ${last ? `${last.agent}${last.round ? ` round ${last.round}` : ''}: ${last.summary}` : ''}${t.error ? ` — ${t.error}` : ''}`,
      );
    }
    const w = p.waiting_for;
    if (w) {
      show(
        'provider',
        `${w.activity}:${w.attempts}`,
        `  waiting for the model provider since ${w.since} (${w.activity}, ${w.attempts} failed attempt(s)): ${w.last_error.slice(0, 200)}`,
      );
    } else if (seen.get('provider')) {
      show('provider', '', '  the model provider answers again');
    }
    for (const g of p.pending_gates)
      show(`gate:${g.gate_id}`, 'pending', `  gate ${g.gate_id} waits for ${g.waiting_for}`);
    show(
      'cost',
      `${p.usage.cost_usd.toFixed(4)}:${p.usage.unpriced_calls ?? 0}`,
      `  cost so far ${usageLine(p.usage, p.model)}; budget $${p.budget_usd.toFixed(2)}`,
    );
  };
}
