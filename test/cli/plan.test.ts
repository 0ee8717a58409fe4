import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { validateDocumentText } from '../../contracts';
import { devcrew } from '../support/cli';

let dir: string;
before(async () => (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-plan-'))));
after(async () => fs.rm(dir, { recursive: true, force: true }));

test('devcrew plan writes a valid TodoList without any Temporal server, and says the scripted model ran', async () => {
  const out = path.join(dir, 'plans');
  const run = await devcrew(['plan', 'Create momentum strategy', '-o', out], {
    env: { DEVCREW_STATE_DIR: path.join(dir, 'state'), TEMPORAL_ADDRESS: '127.0.0.1:1' },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /model: scripted \(a test double/);
  assert.match(run.stdout, /wrote .*todo_momentum_001\.json: 3 tasks/);
  const text = await fs.readFile(path.join(out, 'todo_momentum_001.json'), 'utf8');
  const checked = validateDocumentText('todo', text);
  assert.ok(checked.ok);
  assert.equal(checked.value.request, 'Create momentum strategy');
});

test('with the provider down, devcrew plan fails within seconds naming the provider, and no key is printed', async () => {
  const key = 'AIza-down-provider-key-000111222';
  const started = Date.now();
  const run = await devcrew(['plan', 'Create momentum strategy', '-o', path.join(dir, 'none')], {
    env: {
      DEVCREW_STATE_DIR: path.join(dir, 'state2'),
      DEVCREW_MODEL_PROVIDER: 'gemini',
      GEMINI_API_KEY: key,
      GEMINI_BASE_URL: 'http://127.0.0.1:9',
      DEVCREW_MODEL_TIMEOUT_SECONDS: '5',
    },
  });
  assert.equal(run.code, 1);
  assert.ok(Date.now() - started < 30_000);
  assert.match(
    run.stderr,
    /planning failed: \[MODEL_UNAVAILABLE\] Gemini \(gemini-3\.8-flash at http:\/\/127\.0\.0\.1:9\) cannot be reached/,
  );
  assert.ok(!run.stderr.includes(key) && !run.stdout.includes(key));
});
