import type { Finding } from '../contracts';
import { projectPath } from './workspace';

/** One change the build check made on its own, recorded in the build report. */
export interface AutoFix {
  path: string;
  line: number;
  code: string;
  change: string;
}

/**
 * Mechanical repairs of findings that have exactly one right answer, made before any model time is spent
 * on them (what a pre-commit hook does): an unused import is removed (flake8 F401), a test function
 * without a return annotation gets `-> None` (mypy no-untyped-def on `def test_...`). Everything else is
 * left to the Coder. Returns the changed files only, and what changed in each.
 */
export function autofix(
  files: { path: string; content: string }[],
  findings: Finding[],
): { files: { path: string; content: string }[]; fixes: AutoFix[] } {
  const byPath = new Map<string, Finding[]>();
  for (const f of findings) {
    if (f.severity !== 'error' || !f.line) continue;
    const path = projectPath(f.path);
    byPath.set(path, [...(byPath.get(path) ?? []), f]);
  }
  const changed: { path: string; content: string }[] = [];
  const fixes: AutoFix[] = [];
  for (const file of files) {
    const found = byPath.get(file.path);
    if (!found || !file.path.endsWith('.py')) continue;
    const lines = file.content.split('\n');
    const removed = new Set<number>();
    const before = fixes.length;
    // Lines are edited in place and removals applied at the end, so every finding's line number holds.
    for (const f of found) {
      const i = f.line - 1;
      const text = lines[i];
      if (text === undefined || removed.has(i)) continue;
      if (f.tool === 'flake8' && f.code === 'F401') {
        const name = /^'([^']+)' imported but unused/.exec(f.message)?.[1];
        const next = name ? withoutImport(text, name) : undefined;
        if (next === undefined) continue;
        if (next === '') removed.add(i);
        else lines[i] = next;
        fixes.push({ path: file.path, line: f.line, code: 'F401', change: `removed unused import ${name}` });
      } else if (
        f.tool === 'mypy' &&
        f.code === 'no-untyped-def' &&
        /missing a return type annotation/.test(f.message)
      ) {
        const m = /^(\s*(?:async\s+)?def\s+test_\w*\s*\((?:self)?\)\s*):(.*)$/.exec(text);
        if (!m) continue;
        lines[i] = `${m[1]!.trimEnd()} -> None:${m[2]}`;
        fixes.push({ path: file.path, line: f.line, code: 'no-untyped-def', change: 'added -> None' });
      }
    }
    if (fixes.length === before) continue;
    changed.push({ path: file.path, content: lines.filter((_, i) => !removed.has(i)).join('\n') });
  }
  return { files: changed, fixes };
}

/**
 * The import line without `name` (a dotted name as flake8 reports it: "typing.List", "os", "a.b as c"),
 * '' when nothing is left, undefined when the line is not a one-line import of it.
 */
function withoutImport(line: string, name: string): string | undefined {
  const plain = /^(\s*)import\s+(.+?)\s*$/.exec(line);
  const from = /^(\s*)from\s+([\w.]+)\s+import\s+([^()\\#]+?)\s*$/.exec(line);
  const drop = (items: string[], matches: (item: string) => boolean) => {
    const kept = items.filter((item) => !matches(item));
    return kept.length === items.length ? undefined : kept;
  };
  if (plain) {
    const items = plain[2]!.split(',').map((s) => s.trim());
    const kept = drop(items, (item) => item === name || item.replace(/\s+/g, ' ') === name);
    if (!kept) return undefined;
    return kept.length ? `${plain[1]}import ${kept.join(', ')}` : '';
  }
  if (from) {
    const module = from[2]!;
    const items = from[3]!.split(',').map((s) => s.trim());
    const kept = drop(items, (item) => {
      const [orig, alias] = item.split(/\s+as\s+/);
      return (
        `${module}.${orig}` === name || (alias !== undefined && `${module}.${orig} as ${alias}` === name)
      );
    });
    if (!kept) return undefined;
    return kept.length ? `${from[1]}from ${module} import ${kept.join(', ')}` : '';
  }
  return undefined;
}
