import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { zodErrorText } from '../../contracts';

const Doc = z.strictObject({
  tasks: z.array(z.strictObject({ id: z.string().min(1) })),
  prices: z.record(z.string().regex(/\//, 'expected "provider/model"'), z.number().nonnegative()),
});

test('one zod formatter: every problem at its JSON path, nested reasons in its message', () => {
  const parsed = Doc.safeParse({ tasks: [{ id: 'a' }, { id: '' }], prices: { 'x/y': -1, bare: 1 } });
  assert.ok(!parsed.success);
  const text = zodErrorText(parsed.error);
  assert.match(text, /^ {2}- tasks\[1\]\.id: Too small/m);
  assert.match(text, /^ {2}- prices\.x\/y: Too small/m);
  assert.match(text, /^ {2}- prices\.bare: Invalid key in record \(expected "provider\/model"\)$/m);
  assert.equal(text.split('\n').length, 3);
  const oneLine = zodErrorText(parsed.error, { style: 'one line' });
  assert.ok(!oneLine.includes('\n') && oneLine.startsWith('tasks[1].id: '), oneLine);
  const root = z.string().safeParse(1);
  assert.ok(!root.success);
  assert.match(zodErrorText(root.error), /^ {2}- \(root\): /);
  assert.match(zodErrorText(root.error, { label: () => 'VAR=1' }), /^ {2}- VAR=1: /);
});
