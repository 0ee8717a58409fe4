import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../../core/files';

test('writers racing on one file each succeed, the file holds one whole text, and no temporary file is left', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-files-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'report.json');
  const texts = Array.from(
    { length: 40 },
    (_, i) => `${JSON.stringify({ writer: i, body: 'x'.repeat(20_000) })}\n`,
  );

  const outcomes = await Promise.allSettled(texts.map((text) => writeFileAtomic(file, text)));

  assert.deepEqual(
    outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason)),
    [],
  );
  assert.ok(texts.includes(await fs.readFile(file, 'utf8')), 'the file is one writer’s text, whole');
  assert.deepEqual(await fs.readdir(dir), ['report.json']);
});

test('a write that cannot land leaves the old file as it was and no temporary file', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-files-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'users.json');
  await writeFileAtomic(file, 'old\n', { mode: 0o600 });
  assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
  // A directory where the file should go: the rename fails after the temporary file was written.
  const blocked = path.join(dir, 'blocked');
  await fs.mkdir(path.join(blocked, 'inside'), { recursive: true });

  await assert.rejects(writeFileAtomic(blocked, 'new\n'));

  assert.equal(await fs.readFile(file, 'utf8'), 'old\n');
  assert.deepEqual((await fs.readdir(dir)).sort(), ['blocked', 'users.json']);
});
