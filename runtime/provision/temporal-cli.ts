import fs from 'node:fs/promises';
import path from 'node:path';
import { exec, findOnPath, tail } from '../../core/exec';
import { ProvisionError } from '../../core/errors';
import type { Report } from '../../core/report';

/** The newest Temporal CLI whose go.mod builds with `go install pkg@version` (later tags use `replace`). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

/**
 * Finds a Temporal CLI, building it only when none can be had:
 * 1. `temporal` on PATH; 2. the copy cached for every clone on this machine; 3. `go install` from the
 * Go module proxy into that cache (several minutes once, then never again).
 */
export async function ensureTemporalCli(cacheDir: string, report: Report): Promise<string> {
  const onPath = await findOnPath('temporal');
  if (onPath && (await versionOf(onPath))) {
    report(`Temporal CLI: using ${onPath} from PATH`);
    return onPath;
  }
  const cached = path.join(cacheDir, 'bin', `temporal-${TEMPORAL_CLI_VERSION}`);
  if (await versionOf(cached)) {
    report(`Temporal CLI: using cached ${cached}`);
    return cached;
  }
  const go = await findOnPath('go');
  if (!go) {
    throw new ProvisionError(
      'no Temporal CLI found: none on PATH, none cached, and no Go toolchain to build one.\n' +
        '  Install it (https://docs.temporal.io/cli, e.g. `brew install temporal`) or install Go >= 1.25 and rerun.',
    );
  }
  report(
    `Temporal CLI: building ${MODULE}@${TEMPORAL_CLI_VERSION} with ${go} (several minutes the first time)`,
  );
  const started = Date.now();
  await fs.mkdir(path.dirname(cached), { recursive: true });
  const buildDir = await fs.mkdtemp(path.join(path.dirname(cached), '.build-'));
  try {
    const res = await exec(go, ['install', `${MODULE}@${TEMPORAL_CLI_VERSION}`], {
      env: { ...process.env, GOBIN: buildDir, CGO_ENABLED: '0', GOFLAGS: '-trimpath' },
    });
    if (res.code !== 0) {
      throw new ProvisionError(
        `building the Temporal CLI failed (go install exited ${res.code}):\n${tail(res.stderr)}`,
      );
    }
    // Rename is atomic, so a clone starting at the same moment never runs a half-written binary.
    await fs.rename(path.join(buildDir, 'temporal'), cached);
  } finally {
    await fs.rm(buildDir, { recursive: true, force: true });
  }
  report(`Temporal CLI: built ${cached} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return cached;
}

async function versionOf(file: string): Promise<string | undefined> {
  try {
    await fs.access(file, fs.constants.X_OK);
  } catch {
    return undefined;
  }
  const res = await exec(file, ['--version'], { timeoutMs: 10_000 });
  return res.code === 0 ? res.stdout.trim() : undefined;
}
