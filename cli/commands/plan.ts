import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { createAgentActivities } from '../../activities';
import { openArtifactStore } from '../../artifacts';
import { createModel } from '../../models/config';
import { checkModelServed } from '../../models/model-check';
import { pathsFrom, readEnv, readModelSettings } from '../../core/config';
import { ownModelServer } from '../../runtime/model-server';
import { stderrReport } from '../../runtime/provision';
import { CliError, EXIT } from '../exit-codes';

/** `devcrew plan "<request>" -o plans`: the Planner alone, no Temporal needed; writes the TodoList. */
export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('turn a request into a TodoList file with the Planner (works without Temporal)')
    .argument('<request>')
    .option('-o, --output <dir>', 'folder to write the TodoList into', 'plans')
    .action(async (request: string, o: { output: string }) => {
      const { stateDir } = pathsFrom(readEnv());
      const model = createModel(readModelSettings(), stateDir);
      process.stderr.write(`model: ${model.description}\n`);
      const modelServer = await ownModelServer(stderrReport);
      await checkModelServed(model, (line) => process.stderr.write(`${line}\n`));
      const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-plan-'));
      try {
        const artifacts = await openArtifactStore({ repoDir: scratch });
        const acts = createAgentActivities({ model: model.model, prices: model.prices, artifacts });
        const plan = await acts.plan({ run_id: 'cli-plan', request }).catch((err: Error) => {
          throw new CliError(`planning failed: ${err.message}`, EXIT.invalid);
        });
        await fs.mkdir(o.output, { recursive: true });
        const file = path.join(o.output, `${plan.todo_list.todo_list_id}.json`);
        await fs.writeFile(file, `${JSON.stringify(plan.todo_list, null, 2)}\n`);
        process.stdout.write(
          `wrote ${file}: ${plan.todo_list.tasks.length} tasks (${plan.todo_list.tasks.map((t) => t.id).join(', ')})\n`,
        );
      } finally {
        await modelServer?.stop();
        await fs.rm(scratch, { recursive: true, force: true });
      }
    });
}
