import type { Command } from 'commander';
import type { AuditEntry } from '../../contracts';
import { pathsFrom, readEnv } from '../../core/config';
import { historyAudit, usersAudit } from '../../server/audit';
import { rolloutWorkflowId } from '../../server/temporal-rollout';
import { usersStore } from '../../server/users';
import { connectRuns } from '../temporal-access';

/**
 * `devcrew audit [run]`: who changed what, with which credential. For a run: its start, gate decisions
 * and cancellation, from its Temporal history. Without one: the rollout's changes (its history) and the
 * user changes (the users file).
 */
export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description(
      "who changed what and with which credential: a run's history, or the rollout's and the users'",
    )
    .argument('[run]', 'a run id; without it, the rollout and the users')
    .option('--json', 'as JSON')
    .action(async (run: string | undefined, o: { json?: boolean }) => {
      const { client, close } = await connectRuns('read');
      let entries: AuditEntry[];
      try {
        entries = run
          ? await historyAudit(client, run)
          : [
              ...(await historyAudit(client, rolloutWorkflowId(readEnv().DEVCREW_TASK_QUEUE_PREFIX))),
              ...(await usersAudit(usersStore(pathsFrom(readEnv()).stateDir))),
            ].sort((a, b) => a.at.localeCompare(b.at));
      } finally {
        await close();
      }
      if (o.json) {
        process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        return;
      }
      if (entries.length === 0) process.stdout.write(`nothing recorded${run ? ` for ${run}` : ''}\n`);
      for (const e of entries)
        process.stdout.write(
          `${e.at.replace('T', ' ').slice(0, 19)}  ${e.subject}  ${e.action.padEnd(14)} ${e.by}${e.credential_id ? ` [${e.credential_id}]` : ''}: ${e.detail}\n`,
        );
    });
}
