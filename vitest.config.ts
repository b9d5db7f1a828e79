// Unit and conformance tests: pure code, no external processes.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/conformance/**/*.test.ts', 'test/cli/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
