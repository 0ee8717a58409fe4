import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';

/**
 * Replaces `file` whole: the text is written beside it under a name no other writer uses, then renamed
 * over it. A reader never sees half a file, a crash leaves the old one, and writers racing on the same
 * file each succeed (the last rename wins) instead of renaming one another's temporary file away.
 */
export async function writeFileAtomic(
  file: string,
  text: string,
  options: { mode?: number } = {},
): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await fs.writeFile(tmp, text, options.mode === undefined ? {} : { mode: options.mode });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}
