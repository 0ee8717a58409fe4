/** A JSON body read field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies are read field by field in tests
export type Json = Record<string, any>;

/** Calls to a devcrew HTTP API as a client would make them, with the bearer token. */
export function apiClient(base: () => string, token: string) {
  return async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base()}${url}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
}

/** Polls `fn` until it gives a value; fails naming `what` after `seconds`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, seconds = 180): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
