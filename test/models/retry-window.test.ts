import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideRetry, type FailedAttempt } from '../../models/retry-window';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const outage: FailedAttempt = {
  type: 'MODEL_UNAVAILABLE',
  message: '[MODEL_UNAVAILABLE] Gemini (gemini-3.8-flash at http://fake) failed (500): INTERNAL',
  retryable: true,
  provider: true,
};
const at = (attempt: number, seconds: number) => ({
  attempt,
  firstScheduledMs: T0,
  nowMs: T0 + seconds * 1000,
});

test('a provider outage is retried within the window, whatever the task allows for its own work', () => {
  const d = decideRetry({ error: outage, clock: at(40, 290), windowSeconds: 300, maxRetries: 2 });
  assert.equal(d.retry, true);
  assert.equal(d.type, 'MODEL_UNAVAILABLE', 'the type says the run waits for the provider');
  assert.match(d.message, /attempt 40; failing for 290 s of the 300 s DEVCREW_MODEL_RETRY_WINDOW_SECONDS/);
});

test('past the window the step fails for good, naming the provider, how long it failed and the variable', () => {
  const d = decideRetry({ error: outage, clock: at(41, 301), windowSeconds: 300, maxRetries: 2 });
  assert.equal(d.retry, false);
  assert.equal(d.type, 'MODEL_RETRY_WINDOW_EXCEEDED');
  assert.match(
    d.message,
    /kept failing for 301 s over 41 attempt\(s\), longer than DEVCREW_MODEL_RETRY_WINDOW_SECONDS=300/,
  );
  assert.match(d.message, /Gemini \(gemini-3\.8-flash at http:\/\/fake\) failed \(500\)/);
});

test("the provider's Retry-After becomes the next delay, unless waiting it out would pass the window", () => {
  const limited: FailedAttempt = { ...outage, type: 'MODEL_RATE_LIMITED', retryAfterMs: 20_000 };
  const soon = decideRetry({ error: limited, clock: at(3, 60), windowSeconds: 300, maxRetries: 0 });
  assert.deepEqual([soon.retry, soon.retry && soon.nextRetryDelayMs], [true, 20_000]);
  const late = decideRetry({ error: limited, clock: at(9, 290), windowSeconds: 300, maxRetries: 0 });
  assert.equal(late.retry, false);
  assert.match(late.message, /asked to wait 20 s more, past DEVCREW_MODEL_RETRY_WINDOW_SECONDS=300/);
});

test('a window of 0 fails at the first transient error', () => {
  const d = decideRetry({ error: outage, clock: at(1, 0), windowSeconds: 0, maxRetries: 5 });
  assert.deepEqual([d.retry, d.type], [false, 'MODEL_RETRY_WINDOW_EXCEEDED']);
});

test("other retryable errors get the task's max_retries, then fail for good", () => {
  const crash: FailedAttempt = {
    type: 'Error',
    message: 'git index.lock exists',
    retryable: true,
    provider: false,
  };
  assert.equal(decideRetry({ error: crash, clock: at(2, 5), windowSeconds: 300, maxRetries: 2 }).retry, true);
  const last = decideRetry({ error: crash, clock: at(3, 9), windowSeconds: 300, maxRetries: 2 });
  assert.equal(last.retry, false);
  assert.match(last.message, /gave up after 3 attempt\(s\): the task allows max_retries 2/);
});

test('a non-retryable error fails at once, unchanged', () => {
  const refused: FailedAttempt = {
    type: 'MODEL_NOT_FOUND',
    message: '[MODEL_NOT_FOUND] x',
    retryable: false,
    provider: true,
  };
  assert.deepEqual(decideRetry({ error: refused, clock: at(1, 0), windowSeconds: 300, maxRetries: 3 }), {
    retry: false,
    type: 'MODEL_NOT_FOUND',
    message: '[MODEL_NOT_FOUND] x',
  });
});
