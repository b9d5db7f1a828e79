// The Slack layer: pure parts plus the real Bolt app over signed HTTP and Socket Mode against local servers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line summary .ci/run prints.
    reporters: ['default', ['json', { outputFile: '.cache/test-results/slack.json' }]],
    include: ['test/slack/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
