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

/** An issue's message, with the reasons of the issues nested in it (a record key's, a map element's). */
function issueMessage(issue: z.core.$ZodIssue): string {
  const inner = 'issues' in issue && Array.isArray(issue.issues) ? (issue.issues as z.core.$ZodIssue[]) : [];
  return inner.length ? `${issue.message} (${inner.map(issueMessage).join('; ')})` : issue.message;
}

/**
 * The one conversion of a zod error into problems: one per issue, at its JSON path (`formatPath`), with
 * nested reasons in its message. `label` renders a path otherwise (an environment variable with its value).
 */
export function problemsFromZod(
  error: z.ZodError,
  label: (path: ReadonlyArray<PropertyKey>) => string = formatPath,
): Problem[] {
  return error.issues.map((issue) => ({ path: label(issue.path), message: issueMessage(issue) }));
}

/** Problems as text: one `  - path: message` line each, or all on one line separated by `; `. */
export function formatProblems(problems: readonly Problem[], style: 'lines' | 'one line' = 'lines'): string {
  if (style === 'one line') return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n');
}

/** A zod error as text, the one way devcrew shows one (`problemsFromZod`, then `formatProblems`). */
export function zodErrorText(
  error: z.ZodError,
  options: { style?: 'lines' | 'one line'; label?: (path: ReadonlyArray<PropertyKey>) => string } = {},
): string {
  return formatProblems(problemsFromZod(error, options.label), options.style);
}

/** The reverse of `formatPath`: `tasks[3].id` to `['tasks', 3, 'id']`. */
export function parsePath(path: string): PropertyKey[] {
  if (path === '(root)') return [];
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]!));
}
