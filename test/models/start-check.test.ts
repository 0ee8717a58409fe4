import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_MODELS } from '../../models/catalog';
import { FakeGemini } from '../fakes/fake-gemini';
import { FakeOpenAi } from '../fakes/fake-openai';
import { recordedAnswer, roleOf } from '../fakes/recorded-answers';
import { devcrew } from '../support/cli';
import { freePort } from '../support/ports';

const KEY = 'AIza-start-check-key-0f9e8d7c6b';
let dir: string;
let gemini: FakeGemini;
let openai: FakeOpenAi;

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-start-check-'));
  gemini = await new FakeGemini().start();
  gemini.fallback = (req) => ({
    kind: 'json',
    value: recordedAnswer('Create momentum strategy', roleOf(req.body.systemInstruction)),
  });
  openai = await new FakeOpenAi().start();
});
after(async () => {
  await gemini?.stop();
  await openai?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const geminiEnv = (extra: Record<string, string> = {}) => ({
  DEVCREW_STATE_DIR: path.join(dir, 'state'),
  GEMINI_API_KEY: KEY,
  GEMINI_BASE_URL: gemini.url,
  DEVCREW_MODEL_PROVIDER: '',
  DEVCREW_MODEL: '',
  OPENAI_API_KEY: '',
  ...extra,
});

/** The refusal every start command gives for a model the provider no longer serves. */
function assertRefused(
  run: { code: number | null; stderr: string; stdout: string },
  model: string,
  suggested: string,
) {
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`does not serve the model "${model.replace(/\./g, '\\.')}"`));
  assert.match(run.stderr, /answered 404/);
  assert.match(
    run.stderr,
    new RegExp(`set DEVCREW_MODEL to a model it serves, e\\.g\\. ${suggested.replace(/\./g, '\\.')}`),
  );
  assert.ok(!`${run.stderr}${run.stdout}`.includes(KEY), 'the key is not printed');
}

test('the default model is served: devcrew plan checks it with models.get and plans through it', async () => {
  const out = path.join(dir, 'plans');
  const run = await devcrew(['plan', 'Create momentum strategy', '-o', out], { env: geminiEnv() });
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stderr,
    new RegExp(
      `gemini serves ${DEFAULT_MODELS.gemini.replace(/\./g, '\\.')} \\(checked with models\\.get\\)`,
    ),
  );
  assert.ok(gemini.lookups.includes(`/v1beta/models/${DEFAULT_MODELS.gemini}`));
  assert.match(gemini.requests.at(-1)!.url, new RegExp(`models/${DEFAULT_MODELS.gemini}:generateContent`));
  assert.match(run.stdout, /wrote .*todo_momentum_001\.json/);
});

test('a retired Gemini model is refused at start by devcrew plan, worker and up, before any model call or server', async () => {
  const calls = gemini.requests.length;
  const env = geminiEnv({
    DEVCREW_MODEL: 'gemini-2.0-flash',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    DEVCREW_API_PORT: String(await freePort()),
    DEVCREW_TEMPORAL_PORT: String(await freePort()),
    DEVCREW_UI_PORT: String(await freePort()),
  });
  assertRefused(
    await devcrew(['plan', 'Create momentum strategy', '-o', path.join(dir, 'no')], { env }),
    'gemini-2.0-flash',
    'gemini-3.8-flash',
  );
  const worker = await devcrew(['worker', '--kind', 'agents'], { env });
  assertRefused(worker, 'gemini-2.0-flash', 'gemini-3.8-flash');
  assert.doesNotMatch(worker.stderr, /Temporal server/, 'refused before looking for Temporal');
  const up = await devcrew(['up', '--exit', '--headless'], { env });
  assertRefused(up, 'gemini-2.0-flash', 'gemini-3.8-flash');
  assert.doesNotMatch(up.stdout, /devcrew is up/);
  assert.equal(gemini.requests.length, calls, 'no generateContent call was made');
});

test('a model an OpenAI-compatible server does not serve is refused at start the same way', async () => {
  const run = await devcrew(['plan', 'Create momentum strategy', '-o', path.join(dir, 'no')], {
    env: {
      DEVCREW_STATE_DIR: path.join(dir, 'state'),
      DEVCREW_MODEL_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-start-check-000',
      OPENAI_BASE_URL: openai.url,
      DEVCREW_MODEL: 'gpt-4.1-mini',
      GEMINI_API_KEY: '',
    },
  });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /does not serve the model "gpt-4\.1-mini" \(models\.retrieve answered 404/);
  assert.match(run.stderr, /e\.g\. gpt-6\.1-terra, /);
  assert.equal(openai.requests.length, 0, 'no chat completion was asked for');
});

test('a model that cannot answer text requests is refused at start too', async () => {
  const run = await devcrew(['plan', 'Create momentum strategy', '-o', path.join(dir, 'no')], {
    env: geminiEnv({ DEVCREW_MODEL: 'gemini-embedding-2' }),
  });
  assert.equal(run.code, 1, run.stderr);
  assert.match(
    run.stderr,
    /does not serve the model "gemini-embedding-2" \(models\.get lists it, but not for generateContent/,
  );
});

test('devcrew models lists what the provider serves, marking the configured model, the default and known prices', async () => {
  const run = await devcrew(['models'], { env: geminiEnv({ DEVCREW_MODEL: 'gemini-3.5-flash' }) });
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stdout,
    /^ {2}gemini-3\.8-flash +default +\$0\.75 in \/ \$0\.075 cached \/ \$3\.75 out; from 2027-01-01: \$1\.5 in/m,
  );
  assert.match(run.stdout, /^ {2}gemini-3\.5-flash +configured +\$1\.5 in/m);
  assert.match(run.stdout, /^ {2}gemini-3\.7-flash +no price in the table$/m);
  assert.doesNotMatch(run.stdout, /gemini-embedding-2/, 'models that cannot answer text are left out');

  const json = await devcrew(['models', '--json', '--all'], {
    env: geminiEnv({ DEVCREW_MODEL: 'gemini-2.0-flash' }),
  });
  assert.equal(json.code, 1, 'the configured model is not served');
  const doc = JSON.parse(json.stdout) as { configured_model_served: boolean; models: { name: string }[] };
  assert.equal(doc.configured_model_served, false);
  assert.ok(doc.models.some((m) => m.name === 'gemini-embedding-2'));
  assert.ok(!doc.models.some((m) => m.name === 'gemini-2.0-flash'));
});
