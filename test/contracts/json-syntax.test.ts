import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonErrorOffset, parseJsonText } from '../../contracts';

test('the syntax scanner agrees with JSON.parse on valid and broken documents', () => {
  const base = JSON.stringify(
    { a: [1, -2.5e3, 'x\\"y\u00e9', true, false, null, { b: {} }], c: '' },
    null,
    2,
  );
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
  const junk = [',', ']', '}', '"', ':', 'x', '0', ' ', '\\', '{', '['];
  for (let n = 0; n < 2000; n++) {
    const at = Math.floor(random() * base.length);
    const text =
      random() < 0.5
        ? base.slice(0, at) + base.slice(at + 1)
        : base.slice(0, at) + junk[n % junk.length] + base.slice(at);
    let valid = true;
    try {
      JSON.parse(text);
    } catch {
      valid = false;
    }
    assert.equal(jsonErrorOffset(text) === -1, valid, `disagreement on ${JSON.stringify(text)}`);
  }
});

test('a byte order mark at the start of a file is accepted', () => {
  assert.deepEqual(parseJsonText('\ufeff{"a": 1}'), { ok: true, value: { a: 1 } });
});

test('an empty file is a syntax error at line 1, column 1', () => {
  const result = parseJsonText('');
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.problems[0]!.path, /^line 1, column 1$/);
});
