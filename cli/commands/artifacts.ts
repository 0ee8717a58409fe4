import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import {
  ArtifactStoreError,
  openArtifactStore,
  type GitArtifactStore,
  type RunArtifacts,
} from '../../artifacts';
import { pathsFrom, readEnv, storeServerFrom } from '../../core/config';
import { CliError, EXIT } from '../exit-codes';
import { cliActor } from '../identity';

export interface ArtifactsOptions {
  json?: boolean;
  /** Folder to write the integration branch's files into (created; must be empty if it exists). */
  export?: string;
  /** The artifact repository; default `<state dir>/artifacts`. */
  repo?: string;
}

/** `devcrew artifacts <run> [--json] [--export DIR] [--repo DIR]`. */
export function registerArtifacts(program: Command): void {
  program
    .command('artifacts')
    .description(
      "list a run's branches, commits and files in the artifact store; export its integrated result",
    )
    .argument('<run>', 'the run id (Temporal workflow id)')
    .option('--json', 'print the listing as JSON')
    .option('--export <dir>', "write the integration branch's files into this folder (new or empty)")
    .option('--repo <dir>', 'artifact repository (default: <DEVCREW_STATE_DIR>/artifacts)')
    .action(async (run: string, opts: ArtifactsOptions) => {
      await cliActor('read');
      process.stdout.write(await artifactsCommand(run, opts));
    });
}

/** The command's work, returning what it prints; throws CliError for a person to read. */
export async function artifactsCommand(run: string, opts: ArtifactsOptions): Promise<string> {
  const env = readEnv();
  const repoDir = path.resolve(opts.repo ?? pathsFrom(env).artifactsDir);
  // With a Git server (DEVCREW_ARTIFACTS_SERVER_URL), any host reads a run: its cache is made on first use.
  const server = opts.repo === undefined ? storeServerFrom(env) : undefined;
  const listing = await storeCall(async () => {
    const store = await openArtifactStore({ repoDir, server, create: server !== undefined });
    return { store, run: await store.describeRun(run) };
  });
  let exported: string | undefined;
  if (opts.export !== undefined) exported = await exportRun(listing.store, listing.run, opts.export);
  if (opts.json) return `${JSON.stringify({ ...listing.run, exported_to: exported ?? null }, null, 2)}\n`;
  return (
    formatRun(listing.run) +
    (exported ? `exported ${listing.run.integration?.files.length} files to ${exported}\n` : '')
  );
}

async function exportRun(store: GitArtifactStore, run: RunArtifacts, dir: string): Promise<string> {
  if (run.integration === null) {
    throw new CliError(
      `run ${run.run_id} has no integration branch yet (it is made when the run ends); nothing exported`,
      EXIT.invalid,
    );
  }
  const target = path.resolve(dir);
  const entries = await fs.readdir(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw new CliError(`cannot export to ${target}: ${err.message}`);
  });
  if (entries.length > 0)
    throw new CliError(`export folder ${target} is not empty; give a new or empty folder`);
  await storeCall(() => store.exportTo(run.integration!.commit, target));
  return target;
}

async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ArtifactStoreError) {
      throw new CliError(err.message, err.code === 'ARTIFACT_NOT_FOUND' ? EXIT.usage : EXIT.invalid);
    }
    throw err;
  }
}

function formatRun(run: RunArtifacts): string {
  const short = (sha: string): string => sha.slice(0, 10);
  const lines = [`run ${run.run_id} in ${run.repository}`];
  lines.push(
    run.integration
      ? `integration ${run.integration.branch} ${short(run.integration.commit)} (${plural(run.integration.files.length, 'file')})`
      : 'integration: none yet (made when the run ends)',
  );
  for (const t of run.tasks) {
    const tag = t.tag
      ? `tag ${t.tag.name}${t.tag.commit === t.head ? '' : ` at ${short(t.tag.commit)}`}`
      : 'not finished';
    lines.push('', `task ${t.task_id}  ${t.branch}  head ${short(t.head)}  ${tag}`);
    for (const c of t.commits) {
      const m = c.metadata;
      lines.push(
        `  ${short(c.commit)} ${m.timestamp} ${m.agent_role} ${m.agent_version} ${m.model_name}  ${c.subject}`,
      );
      if (m.artifacts.length > 0) lines.push(`             ${m.artifacts.join(', ')}`);
    }
    lines.push(`  files: ${t.files.length > 0 ? t.files.join(', ') : '(none)'}`);
  }
  if (run.integration) lines.push('', 'integrated files:', ...run.integration.files.map((f) => `  ${f}`));
  return `${lines.join('\n')}\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
