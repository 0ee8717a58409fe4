import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** This devcrew checkout. */
const ROOT = path.join(__dirname, '..');

/**
 * The devcrew code an evaluation runs on: the checkout's short commit, `+changes` appended when a
 * tracked file differs from it (evaluation reports excepted: the running evaluation writes them).
 * Null when devcrew does not run from a Git checkout.
 */
export async function codeVersion(root = ROOT): Promise<string | null> {
  try {
    const head = (await run('git', ['-C', root, 'rev-parse', '--short=7', 'HEAD'])).stdout.trim();
    const changed = (
      await run('git', [
        '-C',
        root,
        'status',
        '--porcelain',
        '--untracked-files=no',
        '--',
        '.',
        ':(exclude)evaluation/reports',
      ])
    ).stdout.trim();
    return changed ? `${head}+changes` : head;
  } catch {
    return null;
  }
}
