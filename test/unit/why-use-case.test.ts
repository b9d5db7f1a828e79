import { describe, expect, it } from 'vitest';
import { explain } from '../../src/domain/explain.ts';
import { explainPull } from '../../src/domain/explain-pull.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { toParsedReference } from '../../src/domain/parsed-reference.ts';
import type { ParsedReference } from '../../src/domain/parsed-reference.ts';
import type { PolicySource } from '../../src/ports/live-check.ts';
import { fixedPolicySource, liveCheckRequest, planWhy, pullFails } from '../../src/app/why.ts';

const D = `sha256:${'a'.repeat(64)}`;
const policies: PolicySet = {
  icsps: [],
  itms: [],
  idms: [
    {
      apiVersion: 'config.openshift.io/v1',
      kind: 'ImageDigestMirrorSet',
      metadata: { name: 'm' },
      spec: {
        imageDigestMirrors: [
          { source: 'quay.io/ns', mirrors: ['mirror.local/ns'], mirrorSourcePolicy: 'NeverContactSource' },
        ],
      },
    },
  ],
};

describe('the why use case', () => {
  const files = fixedPolicySource('files', { policies });

  it('plans what the user typed from one generation: the same answer as explainPull', async () => {
    for (const text of [`quay.io/ns/app@${D}`, 'quay.io/ns/app', 'elsewhere.io/x:1', 'nginx']) {
      const p = await planWhy(files, text);
      expect(p.explanation).toEqual(explainPull({ reference: text, policies }));
      expect(p.reference?.input).toBe(text);
      expect(p.generation).toBe(1);
    }
  });

  it("text that is not a reference: the engine's pull-error answer, nothing to check live", async () => {
    const p = await planWhy(files, 'quay.io/NS/app:1');
    expect(p.reference).toBeUndefined();
    expect(p.explanation.verdict.code).toBe('pull-error');
    expect(p.explanation.advice[0]).toContain('lowercase');
    expect(pullFails(p.explanation)).toBe(true);
  });

  it('a parsed reference is not parsed again: the source gets it as is, and so does the live check', async () => {
    const seen: ParsedReference[] = [];
    let released = 0;
    const source: PolicySource = {
      cluster: 'c',
      explain: () => Promise.reject(new Error('explain(string) must not be used when plan() exists')),
      plan: async (reference) => {
        seen.push(reference);
        return { generation: 7, explanation: explain({ reference, policies }), release: () => (released += 1) };
      },
    };
    const ref = toParsedReference('quay.io/ns/app');
    const p = await planWhy(source, ref);
    expect(seen[0]).toBe(ref);
    const req = liveCheckRequest(p, ref, { node: 'worker-0' }, 'U1');
    expect(req).toEqual({
      image: 'quay.io/ns/app',
      reference: ref,
      selection: { node: 'worker-0' },
      requestedBy: 'U1',
      plan: { generation: 7, explanation: p.explanation },
    });
    expect(req.reference?.canonical).toBe('quay.io/ns/app:latest');
    p.release();
    expect(released).toBe(1);
  });

  it('a source without plan() still answers (generation 0)', async () => {
    const p = await planWhy(
      { cluster: 'c', explain: async (image) => explain({ reference: image, policies }) },
      `quay.io/ns/app@${D}`,
    );
    expect(p.generation).toBe(0);
    expect(p.explanation.verdict.code).toBe('mirror-first');
  });

  it('pullFails: a tag pull that every candidate refuses fails; a mirror plan does not', async () => {
    expect(pullFails((await planWhy(files, 'quay.io/ns/app:1')).explanation)).toBe(true);
    expect(pullFails((await planWhy(files, `quay.io/ns/app@${D}`)).explanation)).toBe(false);
  });
});
