import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../../activities/failures';
import { ERROR_CODES } from '../../contracts/error-codes';
import { DevcrewError } from '../../core/errors';
import { workflowFailure } from '../../core/failure';
import { HttpError, toHttpError } from '../../server/http-error';
import { LAYERS } from './import-graph';

const ROOT = path.resolve(__dirname, '../..');

function productFiles(): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return walk(full);
      return e.name.endsWith('.ts') ? [path.relative(ROOT, full)] : [];
    });
  return LAYERS.flat().flatMap((folder) => walk(path.join(ROOT, folder)));
}

test('workflowFailure: type = code, "[CODE] evidence", retryability from the catalogue, the typed fields as details[0]', () => {
  const f = workflowFailure('TESTS_FAILED', '1 failed after 2 debugger round(s)', {
    run_id: 'r1',
    task_id: 't1',
    report_path: 'reports/t1/test_report.json',
    commit: 'abc',
  });
  assert.ok(f instanceof ApplicationFailure);
  assert.equal(f.type, 'TESTS_FAILED');
  assert.equal(f.message, '[TESTS_FAILED] 1 failed after 2 debugger round(s)');
  assert.equal(f.nonRetryable, !ERROR_CODES.TESTS_FAILED.retryable);
  assert.deepEqual(f.details, [
    { run_id: 'r1', task_id: 't1', report_path: 'reports/t1/test_report.json', commit: 'abc' },
  ]);
  assert.deepEqual(workflowFailure('INVALID_TODO_LIST', 'x', undefined, ['p']).details, [{}, ['p']]);
  assert.equal(workflowFailure('GATE_NOT_FOUND', 'x').details, undefined);
});

test('an activity DevcrewError becomes the same failure: fields first, structured evidence second, Retry-After kept', () => {
  const err = new DevcrewError('SANDBOX_UNAVAILABLE', 'no sandbox', 'run it on a Docker worker', {
    fields: { run_id: 'r1' },
    details: { files: ['a.py'] },
    retryAfterMs: 5_000,
  });
  const f = toActivityFailure(err) as ApplicationFailure;
  assert.equal(f.type, 'SANDBOX_UNAVAILABLE');
  assert.equal(f.message, '[SANDBOX_UNAVAILABLE] no sandbox; run it on a Docker worker');
  assert.equal(f.nonRetryable, false);
  assert.deepEqual(f.details, [{ run_id: 'r1' }, { files: ['a.py'] }]);
  assert.equal(f.nextRetryDelay, 5_000);
});

test('HTTP errors take their status from the catalogue, a workflow failure in a cause included', () => {
  assert.equal(new HttpError('INVALID_REQUEST', 'x').status, 400);
  assert.equal(new HttpError('BAD_REQUEST', 'x').status, ERROR_CODES.BAD_REQUEST.http);
  const refused = toHttpError({ message: 'update failed', cause: workflowFailure('SELF_APPROVAL', 'erin') });
  assert.deepEqual(
    [refused?.status, refused?.code, refused?.message],
    [403, 'SELF_APPROVAL', '[SELF_APPROVAL] erin'],
  );
});

test('ApplicationFailures are built in core/failure.ts (and the retry limit in activities/failures.ts) only', () => {
  const builds = productFiles().flatMap((file) =>
    [
      ...fs
        .readFileSync(path.join(ROOT, file), 'utf8')
        .matchAll(
          /ApplicationFailure\.(create|nonRetryable|retryable|fromError)\(|new ApplicationFailure\(/g,
        ),
    ].map(() => file),
  );
  assert.deepEqual(
    builds.sort(),
    ['activities/failures.ts', 'core/failure.ts'].map((f) => path.normalize(f)),
  );
});

test('workflow code writes no [CODE] prefix of its own', () => {
  const prefixed = productFiles()
    .filter((file) => file.startsWith(`workflows${path.sep}`))
    .filter((file) => /['`]\[[A-Z][A-Z_]+\] /.test(fs.readFileSync(path.join(ROOT, file), 'utf8')));
  assert.deepEqual(prefixed, []);
});
