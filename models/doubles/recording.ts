import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ModelRole, zodErrorText } from '../../contracts';

/**
 * A recording: the answers a model gave (or a person wrote) for one request, per role. An answer with
 * `match` is used only when the call's prompt contains that text (a task id, a round), so replay is
 * stateless and a retried activity gets the same answer.
 */
export const Recording = z.strictObject({
  request: z.string().min(1),
  answers: z.array(
    z.strictObject({
      role: ModelRole,
      match: z.string().optional(),
      value: z.unknown(),
    }),
  ),
});
export type Recording = z.infer<typeof Recording>;

export const RECORDINGS_DIR = path.join(__dirname, 'recordings');

/** Reads every recording in a folder, keyed by its request (trimmed, lower case). */
export function loadRecordings(dir = RECORDINGS_DIR): Map<string, Recording> {
  const out = new Map<string, Recording>();
  if (!fs.existsSync(dir)) return out;
  for (const name of fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const parsed = Recording.safeParse(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
    if (!parsed.success) throw new Error(`recording ${name} is malformed:\n${zodErrorText(parsed.error)}`);
    out.set(normalize(parsed.data.request), parsed.data);
  }
  return out;
}

/** A request as recordings are keyed: trimmed, lower case, spaces folded, no closing full stop. */
export const normalize = (request: string) =>
  request
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/[.!]+$/, '');
