import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { pathsFrom, readEnv } from '../../core/config';
import { hiddenCheck } from '../../evaluation/score';
import { problemPaths, readHumanEval, type HumanEvalProblem } from '../../models/humaneval';
import { silentReport } from '../../runtime/provision';
import { ensureHumanEval } from '../../runtime/provision/humaneval';

/**
 * devcrew's hidden check is the benchmark's own program (prompt, function, test, check(entry_point)):
 * every one of the 164 canonical solutions, written as a run would write its module, passes it, and a
 * wrong function fails it. HumanEval/32, /38 and /50 need the prompt's helpers (poly, encode_cyclic,
 * encode_shift) in the check's scope.
 */
let suite: HumanEvalProblem[];
let dir: string;
before(async () => {
  suite = readHumanEval(await ensureHumanEval(pathsFrom(readEnv()).cacheDir, silentReport));
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-score-'));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

const exec = promisify(execFile);

async function check(p: HumanEvalProblem, module: string): Promise<{ ok: boolean; out: string }> {
  const work = path.join(dir, p.task_id.replace('/', '-'));
  const where = problemPaths(p);
  await fs.mkdir(path.join(work, 'codes'), { recursive: true });
  await fs.writeFile(path.join(work, 'codes', '__init__.py'), '');
  await fs.writeFile(path.join(work, where.code), module);
  await fs.writeFile(path.join(work, 'check.py'), hiddenCheck(p));
  try {
    const { stdout } = await exec('python3', ['check.py'], { cwd: work, timeout: 60_000 });
    return { ok: stdout.includes('DEVCREW-HIDDEN-TESTS-PASSED'), out: stdout };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

test(
  'every canonical solution passes the hidden check, the helper-calling ones included',
  { timeout: 600_000 },
  async () => {
    assert.equal(suite.length, 164);
    const failed: string[] = [];
    const queue = [...suite];
    await Promise.all(
      [1, 2].map(async () => {
        for (let p = queue.shift(); p; p = queue.shift()) {
          const module = `${p.prompt}${p.canonical_solution}`;
          const r = await check(p, module);
          if (!r.ok) failed.push(`${p.task_id}: ${r.out.trim().split('\n').slice(-1)[0]}`);
        }
      }),
    );
    assert.deepEqual(failed, []);
  },
);

test('a wrong function fails the check, and a module without it is no_function', async () => {
  const p = suite.find((x) => x.task_id === 'HumanEval/38')!;
  const wrong = await check(p, 'def decode_cyclic(s: str):\n    return s\n');
  assert.equal(wrong.ok, false);
  assert.match(wrong.out, /AssertionError/);
  const missing = await check(p, 'def something_else():\n    return 1\n');
  assert.equal(missing.ok, false);
  assert.match(missing.out, /DEVCREW-NO-FUNCTION: ImportError/);
});
