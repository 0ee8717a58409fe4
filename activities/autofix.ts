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
 * without a return annotation gets `-> None` (mypy no-untyped-def on `def test_...`), a name used but never
 * imported gets its import when it can come from one place only (flake8 F821 on `List`, `Optional`, ...
 * from typing; `pytest`, `math`, `re`, ... as modules), a comparison with True, False or None written
 * with `==` is written with `is` (flake8 E712, E711), a base class from a name defined nowhere is dropped
 * (flake8 F821 on `class X(strategy.Strategy):`); under `mypy --strict`, a bare generic gets its `Any`
 * (type-arg), a library value returned as a declared bool/int/float/str is cast to it (no-any-return) and
 * a function that returns nothing gets `-> None`. Everything else is left to the Coder. Returns the
 * changed files only, and what changed in each.
 */
export function autofix(
  files: { path: string; content: string }[],
  findings: Finding[],
): { files: { path: string; content: string }[]; fixes: AutoFix[] } {
  const byPath = new Map<string, Finding[]>();
  for (const f of findings) {
    // Warnings too: a test's type findings are warnings (judged by running it), and the repair is free.
    if (!f.line) continue;
    const path = projectPath(f.path);
    byPath.set(path, [...(byPath.get(path) ?? []), f]);
  }
  const changed: { path: string; content: string }[] = [];
  const fixes: AutoFix[] = [];
  for (const file of files) {
    // Right to left within a line, so an edit never moves the column of a finding still to come.
    const found = byPath
      .get(file.path)
      ?.sort((a, b) => a.line - b.line || (b.column ?? -1) - (a.column ?? -1));
    if (!found || !file.path.endsWith('.py')) continue;
    const lines = file.content.split('\n');
    const removed = new Set<number>();
    const missing = new Set<string>();
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
        // A test function, or any function that returns no value anywhere in its body: `-> None`, as
        // mypy's own note says.
        const test = /^(\s*(?:async\s+)?def\s+test_\w*\s*\((?:self)?\)\s*):(.*)$/.exec(text);
        const other = /^(\s*(?:async\s+)?def\s+\w+\s*\(.*\)\s*):(.*)$/.exec(text);
        const m = test ?? (returnsNothing(lines, i) ? other : null);
        if (!m) continue;
        lines[i] = `${m[1]!.trimEnd()} -> None:${m[2]}`;
        fixes.push({ path: file.path, line: f.line, code: 'no-untyped-def', change: 'added -> None' });
      } else if (f.tool === 'mypy' && f.code === 'type-arg') {
        // `List`, `dict`, `np.ndarray` written bare mean their parameters are Any (what mypy assumed):
        // written out, the code means what it meant before.
        const name = /generic type "(\w+)"/.exec(f.message)?.[1];
        const next = name ? withTypeArgs(text, name, f.column) : undefined;
        if (next === undefined) continue;
        lines[i] = next;
        if (!importsName(lines, 'Any')) missing.add('from typing import Any');
        fixes.push({
          path: file.path,
          line: f.line,
          code: 'type-arg',
          change: `wrote ${name}${TYPE_ARGS[name!]}`,
        });
      } else if (f.tool === 'mypy' && f.code === 'no-any-return') {
        // A library value (numpy, pandas: typed Any) returned where a bool, int, float or str is declared:
        // `cast` says so to mypy and changes nothing at run time (converting it could: bool() of a
        // pandas Series raises). Whether the value is one is for the tests to find out.
        // Only when it fails the build (build_policy strict): a cast on an annotation that is wrong turns a
        // warning into errors where the value is used.
        const type =
          f.severity === 'error'
            ? /declared to return "(bool|int|float|str)"$/.exec(f.message)?.[1]
            : undefined;
        const m = /^(\s*return\s+)(.+?)(\s*#.*)?$/.exec(text);
        if (!type || !m || !balanced(m[2]!)) continue;
        lines[i] = `${m[1]}cast(${type}, ${m[2]})${m[3] ?? ''}`;
        if (!importsName(lines, 'cast')) missing.add('from typing import cast');
        fixes.push({
          path: file.path,
          line: f.line,
          code: 'no-any-return',
          change: `returned cast(${type}, ...)`,
        });
      } else if (f.tool === 'mypy' && f.code === 'assignment') {
        // `self.x = None` first and a value later: mypy typed x as None from its first assignment. The
        // first one is annotated Optional of the later value's type (Any when that is a library's type).
        const type =
          /^Incompatible types in assignment \(expression has type "(.+)", variable has type "None"\)$/.exec(
            f.message,
          )?.[1];
        const name = /^\s*((?:self\.)?\w+)\s*=/.exec(text)?.[1];
        if (!type || !name) continue;
        const none = new RegExp(`^(\\s*)${name.replace('.', '\\.')}\\s*=\\s*None\\s*(#.*)?$`);
        const first = lines.findIndex((l) => none.test(l));
        if (first < 0 || first === i) continue;
        const optional = /^(int|float|str|bool|bytes)$/.test(type) ? type : 'Any';
        const [, indent, comment] = none.exec(lines[first]!)!;
        lines[first] = `${indent}${name}: Optional[${optional}] = None${comment ? `  ${comment}` : ''}`;
        if (!importsName(lines, 'Optional')) missing.add('from typing import Optional');
        if (optional === 'Any' && !importsName(lines, 'Any')) missing.add('from typing import Any');
        fixes.push({
          path: file.path,
          line: first + 1,
          code: 'assignment',
          change: `annotated ${name}: Optional[${optional}]`,
        });
      } else if (f.tool === 'flake8' && (f.code === 'E712' || f.code === 'E711')) {
        // `x == True` as flake8 asks: `x is True` (and `!=` as `is not`; None likewise).
        const next = text.replace(/\s*(==|!=)\s*(True|False|None)\b/g, (_, op: string, v: string) =>
          op === '==' ? ` is ${v}` : ` is not ${v}`,
        );
        if (next === text) continue;
        lines[i] = next;
        fixes.push({ path: file.path, line: f.line, code: f.code, change: 'compared with is' });
      } else if (f.tool === 'flake8' && f.code === 'F821') {
        const name = /^undefined name '(\w+)'/.exec(f.message)?.[1];
        const based = name ? withoutBase(text, name) : undefined;
        if (based !== undefined) {
          // A base class from a module that exists nowhere: the class can only run without it.
          lines[i] = based.line;
          fixes.push({
            path: file.path,
            line: f.line,
            code: 'F821',
            change: `removed undefined base class ${based.base}`,
          });
          continue;
        }
        const line = name ? importOf(name) : undefined;
        if (!line || missing.has(line)) continue;
        missing.add(line);
        fixes.push({ path: file.path, line: f.line, code: 'F821', change: `added ${line}` });
      }
    }
    if (fixes.length === before) continue;
    const kept = lines.filter((_, i) => !removed.has(i));
    if (missing.size) kept.splice(importsAt(kept), 0, ...[...missing].sort());
    changed.push({ path: file.path, content: kept.join('\n') });
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

/** Names a model often uses without importing, each with the one import that provides it. */
const TYPING_NAMES = new Set([
  'Any',
  'Callable',
  'Dict',
  'FrozenSet',
  'Iterable',
  'Iterator',
  'List',
  'Mapping',
  'Optional',
  'Sequence',
  'Set',
  'Tuple',
  'Union',
]);
const MODULES = new Set([
  'pytest',
  'math',
  're',
  'json',
  'random',
  'itertools',
  'functools',
  'string',
  'collections',
  'heapq',
  'bisect',
  'statistics',
  'operator',
]);

/** Names with one conventional source: numpy's and pandas' aliases, collections' and dataclasses' names. */
const CONVENTIONAL: Record<string, string> = {
  np: 'import numpy as np',
  pd: 'import pandas as pd',
  Counter: 'from collections import Counter',
  defaultdict: 'from collections import defaultdict',
  deque: 'from collections import deque',
  dataclass: 'from dataclasses import dataclass',
  OrderedDict: 'from collections import OrderedDict',
  namedtuple: 'from collections import namedtuple',
  // The standard library's functions a model calls by their bare name (HumanEval/8's Coder used
  // `reduce` without importing it, and the run spent its Debugger rounds on the NameError).
  reduce: 'from functools import reduce',
  lru_cache: 'from functools import lru_cache',
  permutations: 'from itertools import permutations',
  combinations: 'from itertools import combinations',
  accumulate: 'from itertools import accumulate',
  groupby: 'from itertools import groupby',
  zip_longest: 'from itertools import zip_longest',
  gcd: 'from math import gcd',
  isqrt: 'from math import isqrt',
  sqrt: 'from math import sqrt',
  floor: 'from math import floor',
  ceil: 'from math import ceil',
  Fraction: 'from fractions import Fraction',
  Decimal: 'from decimal import Decimal',
};

function importOf(name: string): string | undefined {
  if (TYPING_NAMES.has(name)) return `from typing import ${name}`;
  if (MODULES.has(name)) return `import ${name}`;
  return Object.hasOwn(CONVENTIONAL, name) ? CONVENTIONAL[name] : undefined;
}

/** Where new imports go: before the first top-level import, or after a leading docstring and comments. */
function importsAt(lines: string[]): number {
  const first = lines.findIndex((l) => /^(import|from)\s/.test(l) && !/^from\s+__future__\s/.test(l));
  if (first >= 0) return first;
  let i = 0;
  while (i < lines.length && (lines[i]!.startsWith('#') || lines[i]!.trim() === '')) i++;
  const quote = /^("""|''')/.exec(lines[i] ?? '')?.[1];
  if (quote) {
    const closes = (l: string, from: number) => l.indexOf(quote, from) >= 0;
    if (closes(lines[i]!, 3)) return i + 1;
    for (let j = i + 1; j < lines.length; j++) if (closes(lines[j]!, 0)) return j + 1;
  }
  return i;
}

/** `class X(name.Base, Other):` without the bases that start with `name`; undefined if none do. */
function withoutBase(line: string, name: string): { line: string; base: string } | undefined {
  const m = /^(\s*class\s+\w+)\(([^()]*)\)(\s*:.*)$/.exec(line);
  if (!m) return undefined;
  const bases = m[2]!
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const dropped = bases.filter((b) => b === name || b.startsWith(`${name}.`));
  if (!dropped.length || importOf(name)) return undefined;
  const kept = bases.filter((b) => !dropped.includes(b));
  return { line: `${m[1]}${kept.length ? `(${kept.join(', ')})` : ''}${m[3]}`, base: dropped.join(', ') };
}

/** What each bare generic means, written out. */
const TYPE_ARGS: Record<string, string> = {
  ...Object.fromEntries(
    [
      'List',
      'list',
      'Set',
      'set',
      'FrozenSet',
      'frozenset',
      'Sequence',
      'Iterable',
      'Iterator',
      'Collection',
      'Deque',
      'deque',
      'Type',
      'type',
      'Counter',
      'MutableSequence',
      'NDArray',
    ].map((n) => [n, '[Any]']),
  ),
  ...Object.fromEntries(
    ['Dict', 'dict', 'Mapping', 'MutableMapping', 'DefaultDict', 'defaultdict', 'OrderedDict', 'ndarray'].map(
      (n) => [n, '[Any, Any]'],
    ),
  ),
  Tuple: '[Any, ...]',
  tuple: '[Any, ...]',
  Callable: '[..., Any]',
};

/**
 * The line with the bare generic `name` given its type arguments: the one at mypy's column when it gives
 * one (1-based), else each in an annotation (after `:` or `->`) on the line; undefined when none is found.
 */
function withTypeArgs(line: string, name: string, column: number | undefined): string | undefined {
  const args = TYPE_ARGS[name];
  if (!args) return undefined;
  const bare = new RegExp(`^((?:\\w+\\.)*${name})\\b(?!\\s*\\[)`);
  if (column) {
    const at = column - 1;
    const m = bare.exec(line.slice(at));
    if (!m) return undefined;
    return `${line.slice(0, at)}${m[1]}${args}${line.slice(at + m[1]!.length)}`;
  }
  const annotated = new RegExp(`((?::|->)\\s*["']?)((?:\\w+\\.)*${name})\\b(?!\\s*\\[)`, 'g');
  const next = line.replace(annotated, (_, lead: string, type: string) => `${lead}${type}${args}`);
  return next === line ? undefined : next;
}

/** Whether the file imports `name` from typing already (or imports typing itself). */
function importsName(lines: string[], name: string): boolean {
  return lines.some(
    (l) => new RegExp(`^from\\s+typing\\s+import\\s+.*\\b${name}\\b`).test(l) || /^import\s+typing\b/.test(l),
  );
}

/** An expression whose brackets all close on its own line (so wrapping it in a call keeps it whole). */
function balanced(expr: string): boolean {
  let depth = 0;
  for (const ch of expr.replace(/(["'])(?:\\.|(?!\1).)*\1/g, '""')) {
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch) && --depth < 0) return false;
  }
  return depth === 0 && !expr.trimEnd().endsWith('\\');
}

/**
 * Whether the function whose `def` is on line `i` returns no value: no `return <value>`, `yield` or
 * `raise NotImplementedError` in its body (the lines indented deeper than the def, nested functions
 * included, which errs on the side of leaving it to the Coder).
 */
function returnsNothing(lines: string[], i: number): boolean {
  const indent = (l: string) => l.length - l.trimStart().length;
  const def = lines[i]!;
  if (!/\)\s*:\s*(#.*)?$/.test(def)) return false;
  let seen = false;
  for (let j = i + 1; j < lines.length; j++) {
    const l = lines[j]!;
    if (!l.trim()) continue;
    if (indent(l) <= indent(def)) break;
    seen = true;
    if (/^\s*return\s+\S/.test(l) || /\byield\b/.test(l) || /raise\s+NotImplementedError/.test(l))
      return false;
  }
  return seen;
}
