import { z } from 'zod';
import type { Problem } from './problems';
import { TODO_ROLES } from './roles';

/** Ids become Git branch names and Temporal ids, so they are kept to a safe alphabet. */
const TaskId = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    'use letters, digits, "_", "-" and "." only, starting with a letter or digit',
  )
  .describe('Unique id of the task within the TodoList, e.g. "task_architect_001".');

export const AgentRole = z.enum(TODO_ROLES).describe('Which agent owns the task.');
export type AgentRole = z.infer<typeof AgentRole>;

export const AcceptanceTest = z.strictObject({
  cmd: z.string().min(1).describe('Shell command run in the sandbox work dir, e.g. "pytest -q tests".'),
  timeout_seconds: z
    .number()
    .int()
    .positive()
    .max(3600)
    .default(300)
    .describe('Wall-clock limit for this command, in seconds.'),
});
export type AcceptanceTest = z.infer<typeof AcceptanceTest>;

export const TodoItem = z.strictObject({
  id: TaskId,
  title: z.string().min(1).max(200).describe('One line saying what the task delivers.'),
  description: z.string().min(1).describe('What to build, precisely enough for the agent to do it alone.'),
  agent_role: AgentRole,
  dependencies: z.array(TaskId).default([]).describe('Ids of the tasks that must complete first.'),
  acceptance_criteria: z
    .strictObject({
      tests: z.array(AcceptanceTest).default([]).describe('Commands that must pass for the task to be done.'),
    })
    .default({ tests: [] }),
  timeout_seconds: z
    .number()
    .int()
    .positive()
    .max(86_400)
    .default(600)
    .describe('Limit for one attempt of each agent call of this task, in seconds.'),
  max_retries: z.number().int().min(0).max(20).default(3).describe('Retries after the first attempt.'),
  requires_approval: z
    .boolean()
    .default(false)
    .describe('Whether a person must approve the task before it runs.'),
});
export type TodoItem = z.infer<typeof TodoItem>;

export const TodoList = z.strictObject({
  todo_list_id: z.string().min(1).max(200).describe('Id of this plan, e.g. "todo_sma_crossover_001".'),
  schema_version: z.literal('1.0').default('1.0'),
  request: z.string().min(1).describe('The request in the words of the person who made it.'),
  tasks: z.array(TodoItem).min(1, 'a TodoList needs at least one task'),
});
export type TodoList = z.infer<typeof TodoList>;

/**
 * Checks what the shape cannot: unique ids, dependencies that exist, no self-dependency, no cycle, and
 * acceptance tests on every task that is judged by tests (coder, tester, debugger): no tests, no pass.
 * Every problem names the task (by index and id) so a person can find it in the file.
 */
export function checkTodoListSemantics(list: TodoList): Problem[] {
  const problems: Problem[] = [];
  const indexById = new Map<string, number>();
  list.tasks.forEach((task, i) => {
    const first = indexById.get(task.id);
    if (first === undefined) indexById.set(task.id, i);
    else
      problems.push({
        path: `tasks[${i}].id`,
        message: `duplicate task id "${task.id}" (first used by tasks[${first}]); give every task its own id`,
      });
  });
  list.tasks.forEach((task, i) => {
    const seen = new Set<string>();
    task.dependencies.forEach((dep, j) => {
      const path = `tasks[${i}].dependencies[${j}]`;
      if (dep === task.id) problems.push({ path, message: `task "${task.id}" depends on itself` });
      else if (!indexById.has(dep))
        problems.push({
          path,
          message: `task "${task.id}" depends on "${dep}", which is not a task in this list`,
        });
      else if (seen.has(dep)) problems.push({ path, message: `task "${task.id}" lists "${dep}" twice` });
      seen.add(dep);
    });
  });
  list.tasks.forEach((task, i) => {
    if (task.agent_role !== 'architect' && task.acceptance_criteria.tests.length === 0) {
      problems.push({
        path: `tasks[${i}].acceptance_criteria.tests`,
        message: `task "${task.id}" (${task.agent_role}) has no acceptance tests, so it could never pass; add at least one, e.g. {"cmd": "pytest -q tests"}`,
      });
    }
  });
  for (const cycle of findCycles(list)) {
    problems.push({
      path: `tasks[${indexById.get(cycle[0]!)}]`,
      message: `dependency cycle: ${[...cycle, cycle[0]].join(' -> ')}; remove one of these dependencies`,
    });
  }
  return problems;
}

/** Iterative depth-first search (a 2,000-task chain must not overflow the stack); self-loops are reported elsewhere. */
function findCycles(list: TodoList): string[][] {
  const deps = new Map<string, string[]>();
  for (const t of list.tasks)
    if (!deps.has(t.id))
      deps.set(
        t.id,
        t.dependencies.filter((d) => d !== t.id),
      );
  const state = new Map<string, 'active' | 'done'>();
  const cycles: string[][] = [];
  for (const root of deps.keys()) {
    if (state.has(root)) continue;
    const stack: { id: string; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, 'active');
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const edges = deps.get(frame.id) ?? [];
      if (frame.next >= edges.length) {
        state.set(frame.id, 'done');
        stack.pop();
        continue;
      }
      const dep = edges[frame.next++]!;
      if (!deps.has(dep)) continue;
      const s = state.get(dep);
      if (s === 'active') {
        const from = stack.findIndex((f) => f.id === dep);
        cycles.push(stack.slice(from).map((f) => f.id));
      } else if (s === undefined) {
        state.set(dep, 'active');
        stack.push({ id: dep, next: 0 });
      }
    }
  }
  return cycles;
}

/** Tasks in an order where every task comes after its dependencies (assumes a checked list). */
export function topologicalOrder(list: TodoList): string[] {
  const remaining = new Map(list.tasks.map((t) => [t.id, new Set(t.dependencies)]));
  const order: string[] = [];
  let ready = list.tasks.filter((t) => t.dependencies.length === 0).map((t) => t.id);
  const dependents = new Map<string, string[]>();
  for (const t of list.tasks) {
    for (const d of t.dependencies) {
      const children = dependents.get(d);
      if (children) children.push(t.id);
      else dependents.set(d, [t.id]);
    }
  }
  while (ready.length > 0) {
    const next: string[] = [];
    for (const id of ready) {
      order.push(id);
      for (const child of dependents.get(id) ?? []) {
        const left = remaining.get(child)!;
        left.delete(id);
        if (left.size === 0) next.push(child);
      }
    }
    ready = next;
  }
  return order;
}
