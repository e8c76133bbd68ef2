/**
 * The benchmark's peers (Prism, WireMock's jar, autocannon) are a package of their own,
 * scripts/bench/package.json with its own lock, so the project's `npm ci` does not carry them;
 * `npm run bench` installs them there on first use (scripts/bench/install-peers.sh).
 */
import path from 'node:path';

export function peerPath(repoRoot: string, ...parts: string[]): string {
  return path.join(repoRoot, 'scripts', 'bench', 'node_modules', ...parts);
}
