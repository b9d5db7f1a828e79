// Differential test: seeded random cases through containers/image itself (test/oracle/cimage, a Go program
// built once and cached) and through the engine; any disagreement outside test/oracle/known-differences.ts fails.
// `npm run test:oracle` (ICSP_ORACLE_SEED and ICSP_ORACLE_CASES override the seed and the case count).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line summary .ci/run prints.
    reporters: ['default', ['json', { outputFile: '.cache/test-results/oracle.json' }]],
    // Each test file gets its own TMPDIR; what the file leaves there fails it (CI runs on a long-lived machine).
    setupFiles: ['test/helpers/temp-dir-guard.ts'],
    include: ['test/oracle/**/*.test.ts'],
    globalSetup: ['test/oracle/global-setup.ts'],
    testTimeout: 180_000,
    // A cold build of the oracle takes minutes on a busy 2-core machine.
    hookTimeout: 20 * 60_000,
  },
});
