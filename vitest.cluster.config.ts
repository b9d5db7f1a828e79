// Cluster tests: a real kube-apiserver + etcd (test/controlplane), started once per run by the
// global setup, with fake kubelets in the test files. `npm run test:cluster`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the one-line summary .ci/run prints.
    reporters: ['default', ['json', { outputFile: '.cache/test-results/cluster.json' }]],
    // Each test file gets its own TMPDIR; what the file leaves there fails it (CI runs on a long-lived machine).
    setupFiles: ['test/helpers/temp-dir-guard.ts'],
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/cluster/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One file at a time: the files share one API server, and fake kubelets register fixed node names.
    fileParallelism: false,
  },
});
