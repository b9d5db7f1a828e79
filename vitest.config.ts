// Unit and conformance tests: pure code, no external processes.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line summary .ci/run prints.
    reporters: ['default', ['json', { outputFile: '.cache/test-results/unit.json' }]],
    include: ['test/unit/**/*.test.ts', 'test/conformance/**/*.test.ts', 'test/cli/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
