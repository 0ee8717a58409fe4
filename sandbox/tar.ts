import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';
import { SandboxError, unsafePath } from './paths';

/** A tar of the job's files (checked first: nothing unsafe gets in), as the stream an exec reads. */
export function packFiles(files: { path: string; content: string | Buffer }[]): Readable {
  for (const f of files) {
    const why = unsafePath(f.path);
    if (why)
      throw new SandboxError(
        'SANDBOX_BAD_INPUT',
        `file path ${JSON.stringify(f.path)} ${why}; use a relative path inside the work dir`,
      );
  }
  const pack = tar.pack();
  for (const f of files)
    pack.entry(
      { name: f.path, mode: 0o644, type: 'file' },
      typeof f.content === 'string' ? Buffer.from(f.content) : f.content,
    );
  pack.finalize();
  return pack as unknown as Readable;
}

/**
 * Reads result files from a tar stream: regular files only, at safe paths, within a size budget. A
 * symlink (say, to a host path) or a device is refused, not followed.
 */
export async function unpackFiles(
  stream: Readable,
  maxBytes: number,
): Promise<{ files: { path: string; content: Buffer }[]; refused: string[] }> {
  const extract = tar.extract();
  const files: { path: string; content: Buffer }[] = [];
  const refused: string[] = [];
  let total = 0;
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, entry, next) => {
      const name = header.name.replace(/^\.\//, '');
      const chunks: Buffer[] = [];
      entry.on('data', (c: unknown) => {
        const chunk = c as Buffer;
        total += chunk.length;
        if (total <= maxBytes) chunks.push(chunk);
      });
      entry.on('end', () => {
        if (header.type !== 'file' || unsafePath(name)) refused.push(`${name} (${header.type})`);
        else if (total > maxBytes) refused.push(`${name} (over ${maxBytes} bytes)`);
        else files.push({ path: name, content: Buffer.concat(chunks) });
        next();
      });
      entry.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  stream.pipe(new PassThrough()).pipe(extract);
  await done;
  return { files, refused };
}
