// The admission policy's parameters must match what the bot builds: the fixed check script byte for byte, the
// debug ServiceAccount and the default deadline. A change to CHECK_SCRIPT without the manifest fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { CHECK_SCRIPT } from '../../src/domain/debug-pod.ts';
import { repoRoot } from '../helpers/shared-dir.ts';

const objects = loadAll(readFileSync(join(repoRoot, 'manifests/admission/debug-pod-policy.yaml'), 'utf8')) as Array<{
  kind: string;
  data?: Record<string, string>;
}>;

describe('manifests/admission/debug-pod-policy.yaml', () => {
  const params = objects.find((o) => o.kind === 'ConfigMap')!;
  it("carries the bot's check script byte for byte", () => {
    expect(params.data!['script']).toBe(CHECK_SCRIPT);
  });
  it("names the debug ServiceAccount and a deadline no shorter than the bot's default", () => {
    expect(params.data!['serviceAccount']).toBe('icsp-bot-debug');
    expect(Number(params.data!['deadlineSeconds'])).toBeGreaterThanOrEqual(120);
  });
  it('is not in the main kustomization (it needs Kubernetes 1.30+ / OpenShift 4.17+)', () => {
    expect(readFileSync(join(repoRoot, 'manifests/kustomization.yaml'), 'utf8')).not.toContain('admission');
  });
});
