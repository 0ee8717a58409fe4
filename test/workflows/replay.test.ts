import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';

const DIR = path.join(__dirname, '../histories');
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'));

test('histories of real runs are kept for the replay check', () => {
  assert.ok(files.length >= 5, `expected saved histories in test/histories, found ${files.length}`);
});

for (const file of files) {
  test(`today's workflow code replays the recorded run "${file}" without a determinism error`, async () => {
    // History.fromObject reads the message's own JSON form (enums by name, bytes in base64), as saveHistory wrote it.
    const history = temporal.api.history.v1.History.fromObject(
      JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')),
    );
    await Worker.runReplayHistory(
      { workflowsPath: require.resolve('../../workflows') },
      history,
      `replay-${file}`,
    );
  });
}
