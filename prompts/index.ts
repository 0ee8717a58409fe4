import fs from 'node:fs';
import path from 'node:path';
import { ROLES, type ModelRole } from '../contracts';

export interface Prompt {
  role: ModelRole;
  /** `planner@1`: recorded as the artifact metadata's agent_version. */
  version: string;
  text: string;
}

/**
 * The versioned system prompt of an agent role (its file in contracts/roles.ts, `version: N` on its
 * first line).
 */
export function promptFor(role: ModelRole): Prompt {
  const file = ROLES[role].prompt;
  const raw = fs.readFileSync(path.join(__dirname, file), 'utf8');
  const match = /^version: (\d+)\n---\n([\s\S]*)$/.exec(raw);
  if (!match) throw new Error(`prompts/${file} must start with "version: N" and a "---" line`);
  return { role, version: `${role}@${match[1]}`, text: match[2]!.trim() };
}
