import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDocument, topologicalOrder, TodoList } from '../../contracts';
import { chain, todoList } from '../support/todo-lists';

function problems(value: unknown): { path: string; message: string }[] {
  const result = checkDocument('todo', value);
  assert.equal(result.ok, false, 'expected the TodoList to be refused');
  return result.ok ? [] : result.problems;
}

test('a minimal TodoList is accepted and its defaults are filled in', () => {
  const result = checkDocument('todo', todoList([{ id: 'a', agent_role: 'architect' }]));
  assert.ok(result.ok);
  const task = result.value.tasks[0]!;
  assert.equal(result.value.schema_version, '1.0');
  assert.equal(task.requires_approval, false);
  assert.equal(task.max_retries, 3);
  assert.equal(task.timeout_seconds, 600);
  assert.deepEqual(task.acceptance_criteria, { tests: [] });
  const coder = checkDocument(
    'todo',
    todoList([{ id: 'b', acceptance_criteria: { tests: [{ cmd: 'pytest -q' }] } }]),
  );
  assert.ok(coder.ok);
  assert.deepEqual(coder.value.tasks[0]!.acceptance_criteria.tests, [
    { cmd: 'pytest -q', timeout_seconds: 300 },
  ]);
});

test('no tests, no pass: a coder, tester or debugger task without acceptance tests is refused, saying what to add', () => {
  const found = problems(
    todoList([
      { id: 'design', agent_role: 'architect' },
      { id: 'code', agent_role: 'coder', acceptance_criteria: { tests: [] } },
      { id: 'check', agent_role: 'tester', acceptance_criteria: { tests: [] } },
      { id: 'fix', agent_role: 'debugger', acceptance_criteria: { tests: [] } },
    ]),
  );
  assert.deepEqual(
    found.map((p) => p.path),
    [
      'tasks[1].acceptance_criteria.tests',
      'tasks[2].acceptance_criteria.tests',
      'tasks[3].acceptance_criteria.tests',
    ],
  );
  assert.match(
    found[0]!.message,
    /task "code" \(coder\) has no acceptance tests, so it could never pass; add at least one/,
  );
});

test('duplicate ids are reported on the second task, naming the first', () => {
  const found = problems(todoList([{ id: 'a' }, { id: 'b' }, { id: 'a' }]));
  assert.deepEqual(found, [
    {
      path: 'tasks[2].id',
      message: 'duplicate task id "a" (first used by tasks[0]); give every task its own id',
    },
  ]);
});

test('a dependency on a missing task and on itself are both reported with their JSON paths', () => {
  const found = problems(todoList([{ id: 'a', dependencies: ['ghost', 'a'] }]));
  assert.deepEqual(
    found.map((p) => p.path),
    ['tasks[0].dependencies[0]', 'tasks[0].dependencies[1]'],
  );
  assert.match(found[0]!.message, /"ghost", which is not a task/);
  assert.match(found[1]!.message, /depends on itself/);
});

test('a cycle names every task on it, in order', () => {
  const found = problems(
    todoList([
      { id: 'start' },
      { id: 'a', dependencies: ['start', 'c'] },
      { id: 'b', dependencies: ['a'] },
      { id: 'c', dependencies: ['b'] },
    ]),
  );
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /dependency cycle: (a -> c -> b -> a|c -> b -> a -> c|b -> a -> c -> b)/);
});

test('an empty task list, a zero timeout and a negative retry count are each refused', () => {
  assert.deepEqual(
    problems(todoList([])).map((p) => p.path),
    ['tasks'],
  );
  const found = problems(todoList([{ id: 'a', timeout_seconds: 0, max_retries: -1 }]));
  assert.deepEqual(found.map((p) => p.path).sort(), ['tasks[0].max_retries', 'tasks[0].timeout_seconds']);
});

test('every shape problem is listed at once, not only the first', () => {
  const found = problems({
    todo_list_id: '',
    request: 'r',
    tasks: [{ id: 'bad id!', title: 't', description: 'd', agent_role: 'manager', surprise: true }],
  });
  const paths = found.map((p) => p.path).sort();
  assert.deepEqual(paths, ['tasks[0]', 'tasks[0].agent_role', 'tasks[0].id', 'todo_list_id']);
});

test('a 2,000-task chain validates, and its topological order puts every task after its dependencies', () => {
  const list = chain(2000);
  const result = checkDocument('todo', list);
  assert.ok(result.ok, 'a long chain has no cycle');
  const order = topologicalOrder(TodoList.parse(list));
  assert.equal(order.length, 2000);
  assert.equal(order[0], 't0');
  assert.equal(order[1999], 't1999');
});

test('a cycle closing a 2,000-task chain is found without overflowing the stack', () => {
  const list = chain(2000);
  list.tasks[0]!.dependencies = ['t1999'];
  const found = problems(list);
  assert.equal(found.length, 1);
  assert.match(found[0]!.message, /^dependency cycle: t0 -> t1999 -> t1998/);
});
