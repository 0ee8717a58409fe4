/** Provisioning steps tell a person what they did or skipped, one line each. */
export type Report = (line: string) => void;

export const stderrReport: Report = (line) => process.stderr.write(`devcrew setup: ${line}\n`);
export const silentReport: Report = () => undefined;
