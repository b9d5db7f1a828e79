// The podman lab: real registries and real podman/skopeo in a private network namespace (root only).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line summary .ci/run prints.
    reporters: ['default', ['json', { outputFile: '.cache/test-results/lab.json' }]],
    // Each test file gets its own TMPDIR; what the file leaves there fails it (CI runs on a long-lived machine).
    setupFiles: ['test/helpers/temp-dir-guard.ts'],
    include: ['test/lab/**/*.lab.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // one lab at a time: the scenarios share registries and podman storage
    fileParallelism: false,
  },
});
