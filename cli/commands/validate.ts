import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { DOCUMENT_TYPE_NAMES, formatProblems, isDocumentType, validateDocumentText } from '../../contracts';
import { CliError, EXIT } from '../exit-codes';

/** `devcrew validate <file> --type T`: exit 0 valid, 1 invalid (every problem listed), 2 usage. */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a JSON document against its contract (shape and meaning)')
    .argument('<file>', 'JSON file to check ("-" for standard input)')
    .requiredOption('-t, --type <type>', `document type: ${DOCUMENT_TYPE_NAMES.join(' | ')}`)
    .action(async (file: string, opts: { type: string }) => {
      if (!isDocumentType(opts.type)) {
        throw new CliError(
          `unknown --type "${opts.type}"; expected one of: ${DOCUMENT_TYPE_NAMES.join(', ')}`,
        );
      }
      const text = await readInput(file);
      const result = validateDocumentText(opts.type, text);
      if (result.ok) {
        process.stdout.write(`OK ${file} is a valid ${opts.type}${summary(result.value)}\n`);
        return;
      }
      const n = result.problems.length;
      process.stdout.write(`INVALID ${file}: ${n} problem${n === 1 ? '' : 's'} as ${opts.type}\n`);
      process.stdout.write(`${formatProblems(result.problems)}\n`);
      process.exitCode = EXIT.invalid;
    });
}

async function readInput(file: string): Promise<string> {
  try {
    return file === '-' ? await readStdin() : await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`no such file: ${file}`);
    if (code === 'EISDIR') throw new CliError(`${file} is a directory; give a JSON file`);
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function summary(value: unknown): string {
  if (value && typeof value === 'object' && 'tasks' in value && Array.isArray(value.tasks)) {
    return ` (${value.tasks.length} task${value.tasks.length === 1 ? '' : 's'})`;
  }
  return '';
}
