import fs from 'node:fs';
import { type z } from 'zod';
import type { ModelRole } from '../../contracts';
import { pathsFrom, readEnv } from '../../core/config';
import { humanEvalFile, readHumanEval, requestedProblem } from '../humaneval';
import { checkAnswer } from '../json-answer';
import { ModelError, type JsonAnswer, type JsonRequest, type ModelClient } from '../types';
import { doubleRecording } from './humaneval';
import { loadRecordings, normalize, type Recording } from './recording';

/**
 * The scripted model: a TEST DOUBLE that replays recordings, so the pipeline runs offline and in CI.
 * It is named "scripted" wherever a user sees which model ran.
 */
export function scriptedClient(
  recordings: Map<string, Recording> = loadRecordings(),
  options: { humanEvalFile?: string } = {},
): ModelClient {
  const evalDouble = evaluationDouble(options.humanEvalFile);
  return {
    info: { provider: 'scripted', name: 'scripted' },
    async generateJson<S extends z.ZodType>(request: JsonRequest<S>): Promise<JsonAnswer<z.output<S>>> {
      const key = request.scriptKey ?? '';
      const recording = recordings.get(normalize(key)) ?? evalDouble(key);
      if (!recording) {
        const known = [...recordings.values()].map((r) => `"${r.request}"`).join(', ');
        throw new ModelError(
          'MODEL_BAD_REQUEST',
          `the scripted model (a test double) has no recording for "${key}"; it knows ${known || 'none'}. ` +
            'Set DEVCREW_MODEL_PROVIDER=gemini with GEMINI_API_KEY (or openai) for other requests',
        );
      }
      const answer = recording.answers.find(
        (a) =>
          a.role === (request.role as ModelRole) &&
          (a.match === undefined || request.prompt.includes(a.match)),
      );
      if (!answer) {
        throw new ModelError(
          'MODEL_BAD_REQUEST',
          `the scripted recording for "${recording.request}" has no ${request.role} answer for this prompt`,
        );
      }
      const raw = JSON.stringify(answer.value);
      return checkAnswer('the scripted model', raw, request.schema, { input_tokens: 0, output_tokens: 0 });
    },
  };
}

/**
 * The scripted evaluation double (humaneval.ts): for a `devcrew eval` request, a recording made
 * from the HumanEval problem it names. The suite is read from the cache dir (`devcrew setup --eval`).
 */
function evaluationDouble(file?: string): (request: string) => Recording | undefined {
  const made = new Map<string, Recording>();
  return (request) => {
    const id = requestedProblem(request);
    if (!id) return undefined;
    const hit = made.get(id);
    if (hit) return hit;
    const suite = file ?? humanEvalFile(pathsFrom(readEnv()).cacheDir);
    if (!fs.existsSync(suite)) {
      throw new ModelError(
        'MODEL_BAD_REQUEST',
        `the scripted evaluation double answers ${id} from HumanEval, which is not in ${suite}; run \`devcrew setup --eval\``,
      );
    }
    const problem = readHumanEval(suite).find((p) => p.task_id === id);
    if (!problem) throw new ModelError('MODEL_BAD_REQUEST', `HumanEval has no problem ${id}`);
    const recording = doubleRecording(problem);
    made.set(id, recording);
    return recording;
  };
}
