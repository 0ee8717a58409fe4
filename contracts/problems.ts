import type { z } from 'zod';

/** One thing wrong with a document: where (a JSON path such as `tasks[3].dependencies[0]`) and what. */
export interface Problem {
  path: string;
  message: string;
}

/** Renders a zod path (`['tasks', 3, 'id']`) the way a person reads JSON: `tasks[3].id`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Flattens zod issues (including nested union branches) into one problem per leaf. */
export function problemsFromZod(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n');
}

/** The reverse of `formatPath`: `tasks[3].id` to `['tasks', 3, 'id']`. */
export function parsePath(path: string): PropertyKey[] {
  if (path === '(root)') return [];
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}
