import { after, before } from 'node:test';
import { testServer } from './env';

/**
 * The Temporal server for one test file, started before its tests and torn down after them: the shared
 * one under `npm test`, else one of its own. Read `.address` inside a test.
 */
export function temporalForThisFile(): { readonly address: string } {
  let server: Awaited<ReturnType<typeof testServer>> | undefined;
  before(async () => {
    server = await testServer();
  });
  after(async () => server?.teardown());
  return {
    get address() {
      if (!server) throw new Error('the Temporal server is read before the test file started it');
      return server.address;
    },
  };
}
