import path from 'node:path';
import { isArtifactStoreError, openArtifactStore } from '../artifacts';
import type { RunView } from '../contracts';
import { pathsFrom, readEnv, storeServerFrom } from '../core/config';

/** Where a run's files go unless `--out` says otherwise: `./devcrew-output/<run>/`. */
export const defaultOutDir = (runId: string) => path.join('devcrew-output', runId);

/**
 * Writes the run's integration branch (its code, tests and reports) into `dir`, so the result is where
 * the person is. Only that folder is written: the store refuses any path that would leave it.
 * Returns the folder, or a sentence saying why nothing was written.
 */
export async function exportRun(run: RunView, dir: string): Promise<{ dir?: string; note: string }> {
  if (!('result' in run) || !run.result?.artifacts) {
    return { note: `nothing to export: run ${run.run_id} has no integration branch (${run.status})` };
  }
  const target = path.resolve(dir);
  try {
    const env = readEnv();
    const server = storeServerFrom(env);
    const store = await openArtifactStore({
      repoDir: pathsFrom(env).artifactsDir,
      server,
      create: server !== undefined,
    });
    const files = await store.exportTo(run.result.artifacts.commit, target);
    return {
      dir: target,
      note: `wrote ${files.length} file(s) of ${run.result.artifacts.branch} to ${target}`,
    };
  } catch (err) {
    if (isArtifactStoreError(err, 'ARTIFACT_NOT_FOUND')) {
      return {
        note: `the artifact repository is not on this machine (${pathsFrom(readEnv()).artifactsDir}); run \`devcrew artifacts ${run.run_id} --export DIR\` where the workers run`,
      };
    }
    throw err;
  }
}
