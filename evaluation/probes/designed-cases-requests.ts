/**
 * The designed-cases probe's input: the every-fourth HumanEval subset's requests as devcrew words them,
 * the Tester's designer prompt and the answer's JSON schema. Run from the repository root:
 *   node --import tsx evaluation/probes/designed-cases-requests.ts > /tmp/probe-reqs.json
 */
import { z } from 'zod';
import { DesignedCases } from '../../contracts';
import { pathsFrom, readEnv } from '../../core/config';
import { humanEvalFile, problemRequest, readHumanEval } from '../../models/humaneval';
import { promptFor } from '../../prompts';

const suite = readHumanEval(humanEvalFile(pathsFrom(readEnv()).cacheDir));
const problems = suite
  .filter((_, i) => i % 4 === 0)
  .map((p) => ({
    id: p.task_id,
    entry: p.entry_point,
    prompt: p.prompt,
    canonical: p.canonical_solution,
    request: problemRequest(p),
  }));
process.stdout.write(
  JSON.stringify({
    system: promptFor('tester', 'function').text,
    schema: z.toJSONSchema(DesignedCases, { target: 'draft-2020-12' }),
    problems,
  }),
);
