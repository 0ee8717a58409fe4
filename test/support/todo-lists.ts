import type { TodoList } from '../../contracts';

type TaskInput = { id: string; dependencies?: string[] } & Record<string, unknown>;

/** A TodoList as a person would write it, with only what the test is about spelled out. */
export function todoList(tasks: TaskInput[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    todo_list_id: 'todo_test',
    request: 'test request',
    tasks: tasks.map((t) => ({
      title: `do ${t.id}`,
      description: `the work of ${t.id}`,
      agent_role: 'coder',
      dependencies: [],
      ...(t.agent_role === 'architect' ? {} : { acceptance_criteria: { tests: [{ cmd: 'pytest -q' }] } }),
      ...t,
    })),
    ...extra,
  };
}

/** A chain of n tasks, each depending on the one before. */
export function chain(n: number): TodoList {
  return todoList(
    Array.from({ length: n }, (_, i) => ({ id: `t${i}`, dependencies: i === 0 ? [] : [`t${i - 1}`] })),
  ) as unknown as TodoList;
}
