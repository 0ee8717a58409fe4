import fs from 'node:fs/promises';
import path from 'node:path';
import { RatingRecord, type Actor, type AuditEntry, type RatingRequest } from '../contracts';

/** Where ratings are kept: one JSON line each, appended, in the state dir every API process shares. */
export const RATINGS_FILE = 'ratings.jsonl';

export interface RatingsStore {
  rate(runId: string, rating: RatingRequest, by: Actor, now?: Date): Promise<RatingRecord>;
  /** A run's ratings, oldest first. */
  of(runId: string): Promise<RatingRecord[]>;
}

export function ratingsStore(stateDir: string): RatingsStore {
  const file = path.join(stateDir, RATINGS_FILE);
  return {
    async rate(runId, rating, by, now = new Date()) {
      const record = RatingRecord.parse({
        run_id: runId,
        score: rating.score,
        ...(rating.comment ? { comment: rating.comment } : {}),
        by: by.name,
        credential_id: by.credential_id,
        at: now.toISOString(),
      });
      await fs.mkdir(stateDir, { recursive: true });
      // One write of one line (O_APPEND): concurrent raters never interleave within a line.
      await fs.appendFile(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      return record;
    },
    async of(runId) {
      const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return '';
        throw err;
      });
      const out: RatingRecord[] = [];
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        try {
          const r = RatingRecord.safeParse(JSON.parse(line));
          if (r.success && r.data.run_id === runId) out.push(r.data);
        } catch {
          // a torn last line (a crash mid-write) is skipped
        }
      }
      return out;
    },
  };
}

/** A run's ratings as audit entries. */
export async function ratingsAudit(ratings: RatingsStore, runId: string): Promise<AuditEntry[]> {
  return (await ratings.of(runId)).map((r) => ({
    at: r.at,
    subject: runId,
    action: 'rating',
    by: r.by,
    credential_id: r.credential_id,
    detail: `rated ${r.score}/5${r.comment ? `: ${r.comment}` : ''}`,
  }));
}
