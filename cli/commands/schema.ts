import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { DOCUMENT_TYPE_NAMES, isDocumentType, jsonSchemaOf } from '../../contracts';
import { CliError } from '../exit-codes';

/** `devcrew schema --type T [-o file]`: the JSON Schema of a contract, for editors and other languages. */
export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of a contract')
    .requiredOption('-t, --type <type>', `document type: ${DOCUMENT_TYPE_NAMES.join(' | ')}`)
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (opts: { type: string; output?: string }) => {
      if (!isDocumentType(opts.type)) {
        throw new CliError(
          `unknown --type "${opts.type}"; expected one of: ${DOCUMENT_TYPE_NAMES.join(', ')}`,
        );
      }
      const text = `${JSON.stringify(jsonSchemaOf(opts.type), null, 2)}\n`;
      if (!opts.output) {
        process.stdout.write(text);
        return;
      }
      await fs.mkdir(path.dirname(path.resolve(opts.output)), { recursive: true });
      await fs.writeFile(opts.output, text);
      process.stderr.write(`wrote the ${opts.type} schema to ${opts.output}\n`);
    });
}
