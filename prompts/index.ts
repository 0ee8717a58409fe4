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
const loaded = new Map<string, Prompt>();

/**
 * Which of a role's prompts: its own, or (`function`) the one for its first answer to a request that is
 * one function stub tested by its examples (`functionPrompt` in contracts/roles.ts).
 */
export type PromptVariant = 'role' | 'function';

/**
 * The versioned system prompt of an agent role (its file in contracts/roles.ts, `version: N` on its
 * first line). A variant's version names it: `coder-function@1`.
 */
export function promptFor(role: ModelRole, variant: PromptVariant = 'role'): Prompt {
  const key = `${role}/${variant}`;
  const cached = loaded.get(key);
  if (cached) return cached;
  const spec: RoleSpec = ROLES[role];
  const file = variant === 'function' ? spec.functionPrompt : spec.prompt;
  if (!file) throw new Error(`the ${role} role has no ${variant} prompt (contracts/roles.ts)`);
  const raw = fs.readFileSync(path.join(__dirname, file), 'utf8');
  const match = /^version: (\d+)\n---\n([\s\S]*)$/.exec(raw);
  if (!match) throw new Error(`prompts/${file} must start with "version: N" and a "---" line`);
  const prompt = {
    role,
    version: `${variant === 'function' ? `${role}-function` : role}@${match[1]}`,
    text: match[2]!
      .trim()
      .replace('{{roles}}', rolesForPlanner())
      .replace('{{terms}}', () => termsOfTheTrade()),
  };
  loaded.set(key, prompt);
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
