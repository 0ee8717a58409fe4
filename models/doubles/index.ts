/**
 * The test doubles, apart from the real providers (as vercel/ai keeps its mock models behind `ai/test`):
 * the scripted model replaying recordings (`recordings/`), and the HumanEval evaluation double it serves.
 * Production code reaches them only through the provider registry (models/providers.ts, when
 * DEVCREW_MODEL_PROVIDER=scripted is named); tests import this entry. test/architecture checks both.
 */
export { doubleBehaviour, doubleRecording } from './humaneval';
export { loadRecordings, Recording, RECORDINGS_DIR } from './recording';
export { scriptedClient } from './scripted';
