// Unit and conformance tests: pure code, no external processes.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line summary .ci/run prints.
    reporters: ['default', ['json', { outputFile: '.cache/test-results/unit.json' }]],
    // Each test file gets its own TMPDIR; what the file leaves there fails it (CI runs on a long-lived machine).
    setupFiles: ['test/helpers/temp-dir-guard.ts'],
    include: ['test/unit/**/*.test.ts', 'test/conformance/**/*.test.ts', 'test/cli/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
