/**
 * A run id a person recognises in the Web UI: `devcrew-<words of the request>-<suffix>`, e.g.
 * `devcrew-create-simple-sma-crossover-strategy-3f9a1c2e`. The caller supplies the random suffix.
 */
export function runIdFor(request: string, suffix: string): string {
  const words = request
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return `devcrew-${words || 'run'}-${suffix
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 12)}`;
}
