import type { ArtifactStore } from '../artifacts/types';
import type { AgentStepInput } from '../contracts';

/** Files of a commit, read back from the store, up to a total size a prompt can carry. */
export async function readFiles(
  store: ArtifactStore,
  commit: string,
  keep: (path: string) => boolean,
  maxBytes = 200_000,
): Promise<{ path: string; content: string }[]> {
  const out: { path: string; content: string }[] = [];
  let total = 0;
  const paths = (await store.listFiles(commit)).filter(keep).sort();
  for (const file of await store.readFiles(commit, paths)) {
    total += file.content.length;
    if (total > maxBytes) break;
    out.push(file);
  }
  return out;
}

export const isPython = (p: string) => p.endsWith('.py');
export const isContract = (p: string) => p.startsWith('contracts/') && p.endsWith('.json');

/** The part of every agent prompt that says which task this is (the scripted model matches on it). */
export function taskHeader(input: AgentStepInput): string {
  const t = input.task;
  return [
    // The whole request too: an agent does its task better knowing what it is for.
    ...(input.request ? [`Request: ${input.request}`] : []),
    `Task id: ${t.id}`,
    `Role: ${t.agent_role}`,
    ...(input.round ? [`Round: ${input.round}`] : []),
    `Title: ${t.title}`,
    `Description: ${t.description}`,
    `Acceptance tests: ${t.acceptance_criteria.tests.map((x) => x.cmd).join(' ; ') || '(none)'}`,
  ].join('\n');
}

export function fileBlock(files: { path: string; content: string }[]): string {
  return files.map((f) => `--- ${f.path}\n${f.content}`).join('\n');
}

/** A path as the project knows it: "./codes/x.py" and "codes/x.py" are one file. */
export const projectPath = (p: string) => p.replace(/^\.\//, '');

/** Every path a model gave must stay inside the project, and code and tests in their folders. */
export function withoutDuplicates<T extends { path: string }>(files: T[]): T[] {
  const seen = new Map<string, T>();
  for (const f of files) seen.set(projectPath(f.path), { ...f, path: projectPath(f.path) });
  return [...seen.values()];
}
