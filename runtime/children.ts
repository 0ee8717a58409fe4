import type { ChildProcess } from 'node:child_process';

/**
 * A server devcrew started goes when devcrew's process goes, however it ends (a second Ctrl-C, an
 * uncaught error): the child is killed from the process's `exit` event if it is still running.
 */
export function endsWithUs(child: ChildProcess): void {
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', kill);
  child.once('exit', () => process.off('exit', kill));
}
