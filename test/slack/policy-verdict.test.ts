// rejected-by-policy through the real Bolt app: a signed /icsp command, policies with image.config
// allowedRegistries, and the anchor in the channel carries the verdict, its emoji and the field to fix.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filePolicySource } from '../../src/main.ts';
import type { PolicySet } from '../../src/domain/policy-set.ts';
import { startHarness } from './helpers/bot-harness.ts';
import type { Harness } from './helpers/bot-harness.ts';
import { RecordingServer } from './helpers/recording-server.ts';
import { commandForm, postSigned } from './helpers/slack-fixtures.ts';

const D = `sha256:${'d'.repeat(64)}`;
const policies: PolicySet = {
  icsps: [],
  itms: [],
  idms: [
    {
      apiVersion: 'config.openshift.io/v1',
      kind: 'ImageDigestMirrorSet',
      metadata: { name: 'mirrors' },
      spec: { imageDigestMirrors: [{ source: 'quay.io/ns', mirrors: ['mirror.local/ns'] }] },
    },
  ],
  image: {
    apiVersion: 'config.openshift.io/v1',
    kind: 'Image',
    metadata: { name: 'cluster' },
    spec: { registrySources: { allowedRegistries: ['mirror.local'] } },
  },
};

const rec = new RecordingServer();
let h: Harness;

beforeAll(async () => {
  await rec.start();
  h = await startHarness(rec, 'http', {}, { live: false, deps: { policySource: filePolicySource(policies) } });
});

afterAll(async () => {
  await h.bot.stop();
  await rec.stop();
});

describe('rejected-by-policy in Slack', () => {
  it(
    'the anchor names the verdict, the emoji, allowedRegistries ' + 'and the upstream message; the plan thread the fix',
    async () => {
      const r = await postSigned(
        h.port!,
        commandForm({ text: `why quay.io/ns/app@${D}`, responseUrl: rec.responseUrl('p') }),
        'application/x-www-form-urlencoded',
      );
      expect(r.status).toBe(200);
      await h.bot.idle();
      const posts = rec.callsOf('chat.postMessage');
      expect(posts.length).toBeGreaterThanOrEqual(2);
      const anchor = JSON.stringify(posts[0]!.params.blocks);
      expect(anchor).toContain(':no_entry_sign:');
      expect(anchor).toContain('`rejected-by-policy`');
      expect(anchor).toContain('allowedRegistries');
      expect(anchor).toContain('Source image rejected: Running image docker://quay.io/ns/app@');
      const plan = JSON.stringify(posts[1]!.params.blocks);
      expect(plan).toContain(
        'Add quay.io (or the repository quay.io/ns/app) to image.config spec.registrySources.allowedRegistries',
      );
    },
  );
});
