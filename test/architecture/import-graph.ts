import fs from 'node:fs';
import path from 'node:path';

/**
 * The layers, bottom to top (ARCHITECTURE.md). A folder may import its own files and any folder of a
 * lower layer; never one of its own layer or above, with one exception: workflow code imports the
 * activities' interfaces as types (Temporal's `proxyActivities<typeof activities>` idiom).
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['contracts'],
  ['core'],
  ['prompts', 'models', 'artifacts', 'sandbox'],
  ['activities', 'workflows'],
  ['server', 'workers'],
  ['runtime', 'evaluation'],
  ['cli'],
];

export interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

const ROOT = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(full));
    else if (e.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** Every relative import between the product's own files (tests and benchmarks left out). */
export function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const folder of LAYERS.flat()) {
    const dir = path.join(ROOT, folder);
    if (!fs.existsSync(dir)) continue;
    for (const file of sourceFiles(dir)) {
      const text = fs.readFileSync(file, 'utf8');
      const re =
        /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'|require(?:\.resolve)?\('(\.[^']+)'\)/gm;
      for (const m of text.matchAll(re)) {
        const spec = m[3] ?? m[4]!;
        const target = resolve(path.dirname(file), spec);
        if (!target || !target.endsWith('.ts')) continue; // package.json and other data files
        edges.push({
          from: path.relative(ROOT, file),
          to: path.relative(ROOT, target),
          typeOnly: Boolean(m[2]),
        });
      }
    }
  }
  return edges;
}

function resolve(dir: string, spec: string): string | undefined {
  const base = path.resolve(dir, spec);
  for (const c of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  return undefined;
}

export const layerOf = (file: string): number =>
  LAYERS.findIndex((l) => l.includes(file.split(path.sep)[0]!));

/** The test doubles' folder: production code reaches it only through the provider registry. */
export const DOUBLES = path.join('models', 'doubles');
export const DOUBLES_ENTRY = path.join('models', 'providers.ts');

/** Imports of the test doubles from production code other than the provider registry. */
export function doubleImports(edges: Edge[]): Edge[] {
  const inside = (f: string) => f.startsWith(DOUBLES + path.sep);
  return edges.filter((e) => inside(e.to) && !inside(e.from) && e.from !== DOUBLES_ENTRY);
}

/** Imports that run up (or sideways) the layers. */
export function upwardImports(edges: Edge[]): Edge[] {
  return edges.filter((e) => {
    const [a, b] = [e.from.split(path.sep)[0], e.to.split(path.sep)[0]];
    if (a === b) return false;
    if (a === 'workflows' && b === 'activities' && e.typeOnly) return false;
    const la = layerOf(e.from);
    const lb = layerOf(e.to);
    return lb < 0 || lb >= la;
  });
}

/**
 * Cycles among files, each as the list of files on it. Type-only imports count too (a circle of types is
 * still two files that cannot be understood apart); `{ values: true }` looks at value imports only.
 */
export function fileCycles(edges: Edge[], only: { values?: boolean } = {}): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (only.values && e.typeOnly) continue;
    next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  }
  const state = new Map<string, 'active' | 'done'>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'active');
    stack.push(f);
    for (const t of next.get(f) ?? []) {
      if (state.get(t) === 'active') cycles.push(stack.slice(stack.indexOf(t)));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of next.keys()) if (!state.has(f)) visit(f);
  return cycles;
}
