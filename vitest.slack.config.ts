// The Slack layer: pure parts plus the real Bolt app over signed HTTP and Socket Mode against local servers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line summary .ci/run prints.
    reporters: ['default', ['json', { outputFile: '.cache/test-results/slack.json' }]],
    // Each test file gets its own TMPDIR; what the file leaves there fails it (CI runs on a long-lived machine).
    setupFiles: ['test/helpers/temp-dir-guard.ts'],
    include: ['test/slack/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
