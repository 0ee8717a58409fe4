import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { devcrew } from '../support/cli';
import { todoList } from '../support/todo-lists';

let dir: string;
before(async () => (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'devcrew-validate-'))));
after(async () => fs.rm(dir, { recursive: true, force: true }));

async function file(name: string, content: string): Promise<string> {
  const p = path.join(dir, name);
  await fs.writeFile(p, content);
  return p;
}

test("a valid TodoList exits 0 with one OK line (the migration plan's validate_contract --type todo)", async () => {
  const run = await devcrew(['validate', 'contracts/samples/todo_list.json', '--type', 'todo']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'OK contracts/samples/todo_list.json is a valid todo (3 tasks)\n');
});

test('an invalid TodoList exits 1 and lists every problem with its path or task', async () => {
  const p = await file(
    'bad.json',
    JSON.stringify(
      todoList([
        { id: 'a', dependencies: ['b'] },
        { id: 'b', dependencies: ['a', 'nope'] },
        { id: 'a', timeout_seconds: -5 },
      ]),
    ),
  );
  const run = await devcrew(['validate', p, '--type', 'todo']);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /^INVALID .*bad\.json: 1 problem as todo/m);
  assert.match(run.stdout, /tasks\[2\]\.timeout_seconds: /);

  const shapeOk = await file(
    'semantic.json',
    JSON.stringify(
      todoList([{ id: 'a', dependencies: ['b'] }, { id: 'b', dependencies: ['a', 'nope'] }, { id: 'a' }]),
    ),
  );
  const semantic = await devcrew(['validate', shapeOk, '--type', 'todo']);
  assert.equal(semantic.code, 1);
  assert.match(semantic.stdout, /3 problems as todo/);
  assert.match(semantic.stdout, /tasks\[2\]\.id: duplicate task id "a"/);
  assert.match(semantic.stdout, /tasks\[1\]\.dependencies\[1\]: task "b" depends on "nope"/);
  assert.match(semantic.stdout, /dependency cycle: a -> b -> a/);
});

test('a JSON syntax error exits 1 and names its line and column', async () => {
  const p = await file('syntax.json', '{\n  "todo_list_id": "x",\n  "tasks": [1,, 2]\n}\n');
  const run = await devcrew(['validate', p, '--type', 'todo']);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /line 3, column 15: JSON syntax error/);
});

test('a truncated file is reported at its end', async () => {
  const p = await file('cut.json', '{\n  "todo_list_id": "x",\n');
  const run = await devcrew(['validate', p, '--type', 'todo']);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /line 3, column 1: JSON syntax error/);
});

test('usage problems exit 2: a missing file, an unknown type, no type at all', async () => {
  const missing = await devcrew(['validate', path.join(dir, 'nowhere.json'), '--type', 'todo']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no such file: .*nowhere\.json/);

  const unknown = await devcrew(['validate', 'contracts/samples/todo_list.json', '--type', 'plan']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown --type "plan"; expected one of: todo, contract, code-artifacts/);

  const untyped = await devcrew(['validate', 'contracts/samples/todo_list.json']);
  assert.equal(untyped.code, 2);
  assert.match(untyped.stderr, /--type/);
});

test('every contract type judges its sample, and standard input works with "-"', async () => {
  const run = await devcrew(['validate', '-', '--type', 'test-report'], {
    input: await fs.readFile('contracts/samples/test_report.json', 'utf8'),
  });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const wrongType = await devcrew(['validate', 'contracts/samples/test_report.json', '--type', 'contract']);
  assert.equal(wrongType.code, 1);
});

test('devcrew schema --type todo prints a JSON Schema that describes the fields an agent fills', async () => {
  const run = await devcrew(['schema', '--type', 'todo']);
  assert.equal(run.code, 0, run.stderr);
  const schema = JSON.parse(run.stdout) as {
    properties: { tasks: { items: { properties: Record<string, { description?: string }> } } };
  };
  const task = schema.properties.tasks.items.properties;
  assert.ok(task.agent_role?.description);
  assert.deepEqual(Object.keys(task).sort(), [
    'acceptance_criteria',
    'agent_role',
    'dependencies',
    'description',
    'id',
    'max_retries',
    'requires_approval',
    'timeout_seconds',
    'title',
  ]);
});
