import Docker from 'dockerode';

/** A client for the engine named by DOCKER_HOST (a remote engine works), or the default socket. */
export function dockerClient(): Docker {
  return new Docker();
}

/** Whether the engine answers a ping within the time given. */
export async function dockerAnswers(docker: Docker, timeoutMs = 3_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([
      docker
        .ping()
        .then(() => true)
        .catch(() => false),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
