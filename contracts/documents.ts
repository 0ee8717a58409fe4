import { z } from 'zod';
import { ArtifactMetadata } from './artifact-metadata';
import { BuildReport } from './build-report';
import { CodeArtifacts } from './code-artifacts';
import { Contract } from './contract';
import { jsonErrorOffset } from './json-syntax';
import { problemsFromZod, type Problem } from './problems';
import { TaskEvent } from './task-event';
import { TestReport } from './test-report';
import { checkTodoListSemantics, TodoList } from './todo-list';

/**
 * The documents a person can validate or export (`devcrew validate --type X`, `devcrew schema --type X`),
 * by the name used on the command line, with the checks beyond shape that each needs.
 */
export const DOCUMENT_TYPES = {
  todo: { schema: TodoList, semantic: checkTodoListSemantics },
  contract: { schema: Contract },
  'code-artifacts': { schema: CodeArtifacts },
  'build-report': { schema: BuildReport },
  'test-report': { schema: TestReport },
  'task-event': { schema: TaskEvent },
  'artifact-metadata': { schema: ArtifactMetadata },
} as const satisfies Record<string, { schema: z.ZodType; semantic?: (value: never) => Problem[] }>;

export type DocumentType = keyof typeof DOCUMENT_TYPES;
export const DOCUMENT_TYPE_NAMES = Object.keys(DOCUMENT_TYPES) as DocumentType[];

export function isDocumentType(name: string): name is DocumentType {
  return Object.hasOwn(DOCUMENT_TYPES, name);
}

export type CheckResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Shape first, then (only when the shape holds) the semantic checks; every problem is listed. */
export function checkDocument<K extends DocumentType>(
  type: K,
  value: unknown,
): CheckResult<z.output<(typeof DOCUMENT_TYPES)[K]['schema']>> {
  const entry = DOCUMENT_TYPES[type] as { schema: z.ZodType; semantic?: (v: unknown) => Problem[] };
  const parsed = entry.schema.safeParse(value);
  if (!parsed.success) return { ok: false, problems: problemsFromZod(parsed.error) };
  const problems = entry.semantic?.(parsed.data) ?? [];
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: parsed.data as z.output<(typeof DOCUMENT_TYPES)[K]['schema']> };
}

/** Parses JSON text, turning a syntax error into a problem that names the line and column. */
export function parseJsonText(raw: string): CheckResult<unknown> {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw; // editors on Windows write a BOM
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const found = jsonErrorOffset(text);
    const position = found >= 0 ? found : text.length;
    const { line, column } = lineAndColumn(text, position);
    const reason = message
      .replace(/\s*(in JSON )?at position \d+.*$/s, '')
      .replace(/, ".*" is not valid JSON$/s, '')
      .replace(/, \.\.\.".*$/s, '');
    return {
      ok: false,
      problems: [{ path: `line ${line}, column ${column}`, message: `JSON syntax error: ${reason}` }],
    };
  }
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

/** JSON text in, checked document or every problem out: what `devcrew validate` runs. */
export function validateDocumentText<K extends DocumentType>(
  type: K,
  text: string,
): CheckResult<z.output<(typeof DOCUMENT_TYPES)[K]['schema']>> {
  const parsed = parseJsonText(text);
  return parsed.ok ? checkDocument(type, parsed.value) : parsed;
}

/** JSON Schema (draft 2020-12) of a document as it is written in a file (input side: defaults optional). */
export function jsonSchemaOf(type: DocumentType): Record<string, unknown> {
  const schema = z.toJSONSchema(DOCUMENT_TYPES[type].schema, { io: 'input', target: 'draft-2020-12' });
  return { $id: `urn:devcrew:schema:${type}`, title: type, ...schema };
}
