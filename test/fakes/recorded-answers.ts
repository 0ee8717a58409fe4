import { loadRecordings } from '../../models/doubles';
import type { ModelRole } from '../../models/types';

/** Which agent is asking, read from its system prompt ("You are the Coder..."), as a provider would see it. */
export function roleOf(system: unknown): ModelRole {
  const text = JSON.stringify(system ?? '');
  if (text.includes('You are a single AI developer agent')) return 'single-agent';
  const role = (['Planner', 'Architect', 'Coder', 'Debugger'] as const).find((r) =>
    text.includes(`You are the ${r}`),
  );
  if (!role) throw new Error(`no agent role in the system prompt: ${text.slice(0, 200)}`);
  return role.toLowerCase() as ModelRole;
}

/** The answer a recording (models/doubles/recordings) holds for a role: what a good model would have said. */
export function recordedAnswer(request: string, role: ModelRole): unknown {
  const recording = loadRecordings().get(request.trim().toLowerCase());
  const answer = recording?.answers.find((a) => a.role === role);
  if (!answer) throw new Error(`no recorded ${role} answer for "${request}"`);
  return answer.value;
}
