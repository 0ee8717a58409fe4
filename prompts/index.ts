import fs from 'node:fs';
import path from 'node:path';
import { ROLES, TODO_ROLES, type ModelRole, type RoleSpec } from '../contracts';

export interface Prompt {
  role: ModelRole;
  /** `planner@1`: recorded as the artifact metadata's agent_version. */
  version: string;
  text: string;
}

/** Read once per process: a worker answers with the prompt versions it started with. */
const loaded = new Map<ModelRole, Prompt>();

/**
 * The versioned system prompt of an agent role (its file in contracts/roles.ts, `version: N` on its
 * first line).
 */
export function promptFor(role: ModelRole): Prompt {
  const cached = loaded.get(role);
  if (cached) return cached;
  const file = ROLES[role].prompt;
  const raw = fs.readFileSync(path.join(__dirname, file), 'utf8');
  const match = /^version: (\d+)\n---\n([\s\S]*)$/.exec(raw);
  if (!match) throw new Error(`prompts/${file} must start with "version: N" and a "---" line`);
  const prompt = {
    role,
    version: `${role}@${match[1]}`,
    text: match[2]!
      .trim()
      .replace('{{roles}}', rolesForPlanner())
      .replace('{{terms}}', () => termsOfTheTrade()),
  };
  loaded.set(role, prompt);
  return prompt;
}

/**
 * The `{{terms}}` of a prompt: the trade's terms written out as formulas (prompts/terms.md), one home
 * for the Planner, the Coder, the Debugger and the single agent. A change to it bumps their versions.
 */
export function termsOfTheTrade(): string {
  return fs.readFileSync(path.join(__dirname, 'terms.md'), 'utf8').trim();
}

/** The `{{roles}}` of a prompt: each role a TodoList may name, as contracts/roles.ts describes it. */
export function rolesForPlanner(): string {
  return TODO_ROLES.map((r) => `- "${r}": ${(ROLES[r] as RoleSpec).forPlanner ?? ROLES[r].title}`).join('\n');
}
