// vitest global setup for the differential test: builds (or finds in the cache) the Go program that answers
// with containers/image itself. A clean machine builds it here (cold: about 4 minutes on a loaded 2-core
// machine, module download included); without `go` the suite fails with the reason.
import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

const buildScript = resolve(import.meta.dirname, 'cimage', 'build.sh');

export default function setup(project: TestProject): void {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error !== undefined || go.status !== 0) {
    throw new Error(
      'npm run test:oracle needs Go (1.24 or newer) on PATH: it builds test/oracle/cimage, a small program ' +
        "that resolves with containers/image's own code. Install Go (https://go.dev/dl/) and run again.",
    );
  }
  const t0 = Date.now();
  let binary: string;
  try {
    binary = execFileSync('bash', [buildScript], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 15 * 60_000,
    }).trim();
  } catch (e) {
    throw new Error(
      `building the containers/image oracle failed ` +
        `(bash ${buildScript}): ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  console.log(`containers/image oracle: ${binary} (${go.stdout.trim()}; ready in ${Date.now() - t0} ms)`);
  project.provide('oracleBinary', binary);
}
