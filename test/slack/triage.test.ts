// `/icsp why pod NS/NAME` and a pasted event / `oc describe pod` output in a mention, through the real Bolt app
// over signed HTTP; the `why pod` use case behind it reads pod facts from the kubelet-event corpus (real podman
// errors).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistriesConf } from '../../src/domain/registries-conf.ts';
import type { EventShape, PodShape } from '../../src/domain/triage/pod-triage.ts';
import { LiveCheckInputError } from '../../src/cluster/node-selection.ts';
import type { NodeFacts, PodFacts } from '../../src/ports/pod-triage.ts';
import { METHOD_SCOPES } from '../../src/slack/scopes.ts';
import type { Block } from '../../src/types/slack.ts';
import { startHarness } from './helpers/bot-harness.ts';
import type { Harness } from './helpers/bot-harness.ts';
import { RecordingServer } from './helpers/recording-server.ts';
import { blockAction, commandForm, mentionEvent, postSigned } from './helpers/slack-fixtures.ts';

const FORM = 'application/x-www-form-urlencoded';
const CORPUS = join(import.meta.dirname, '../fixtures/kubelet-events');
const s = JSON.parse(readFileSync(join(CORPUS, 'not-mirrored/scenario.json'), 'utf8')) as {
  image: string;
  registriesConf: string;
};
const failed = readFileSync(join(CORPUS, 'not-mirrored/cri-client.event-failed.txt'), 'utf8').trimEnd();

/** What the cluster would say about the pod: its waiting state, the Failed event and its node's registries.conf. */
class CorpusPodFacts implements PodFacts {
  readonly asked: string[] = [];
  async readPod(namespace: string, name: string): Promise<{ pod: PodShape; events: EventShape[] }> {
    this.asked.push(`${namespace}/${name}`);
    if (name === 'gone') throw new LiveCheckInputError(`pod ${namespace}/${name} not found`);
    return {
      pod: {
        metadata: { namespace, name },
        spec: { nodeName: 'worker-1', containers: [{ name: 'web', image: s.image }] },
        status: {
          phase: 'Pending',
          containerStatuses: [
            {
              name: 'web',
              state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${s.image}"` } },
            },
          ],
        },
      },
      events: [{ reason: 'Failed', message: failed, involvedObject: { fieldPath: 'spec.containers{web}' } }],
    };
  }
  async nodeFacts(): Promise<NodeFacts> {
    return {
      node: { node: 'worker-1', pool: 'worker', mco: null },
      conf: parseRegistriesConf(s.registriesConf, [], '/etc/containers/registries.conf'),
      notes: [],
    };
  }
}

const rec = new RecordingServer();
const pods = new CorpusPodFacts();
let h: Harness;

beforeAll(async () => {
  await rec.start();
  h = await startHarness(rec, 'http', {}, { deps: { podFacts: pods } });
});
afterEach(async () => {
  await h.bot.idle();
  for (const c of rec.calls) expect(Object.keys(METHOD_SCOPES)).toContain(c.method);
  rec.reset();
});
afterAll(async () => {
  await h.bot.stop();
  await rec.stop();
});

const command = (text: string, user = 'U0001') =>
  postSigned(h.port!, commandForm({ text, user, responseUrl: rec.responseUrl('cmd') }), FORM);

describe('why pod over Slack', () => {
  it(
    'answers with the cause and fix from what the node said; ' + 'the live check is a button for allowed users',
    async () => {
      expect((await command('why pod shop/web-1')).status).toBe(200);
      await h.bot.idle();
      const post = rec.callsOf('chat.postMessage').at(-1)!.params;
      const text = JSON.stringify(post.blocks);
      expect(String(post.text)).toMatch(/shop\/web-1: not-mirrored: the node tried mirrors/);
      expect(text).toContain('never mirrored');
      expect(text).toContain('oc-mirror');
      const actions = (post.blocks as Block[]).find((b) => b.type === 'actions');
      expect(actions?.type).toBe('actions');
      const value = actions?.type === 'actions' ? actions.elements[0]!.value : '';
      const before = h.checker.requests.length;
      await postSigned(
        h.port!,
        new URLSearchParams({
          payload: JSON.stringify(
            blockAction({
              actionId: 'icsp_triage_live',
              value,
              threadTs: String(post.ts ?? '1700000000.000100'),
              messageTs: '1700000000.000100',
              responseUrl: rec.responseUrl('act'),
            }),
          ),
        }).toString(),
        FORM,
      );
      await h.bot.idle();
      expect(h.checker.requests.length).toBe(before + 1);
      expect(h.checker.requests.at(-1)).toMatchObject({ image: s.image, selection: { node: 'worker-1' } });
    },
  );

  it('no button for a user who may not run live checks', async () => {
    await command('why pod shop/web-2', 'U0009');
    await h.bot.idle();
    const post = rec.callsOf('chat.postMessage').at(-1)!.params;
    expect((post.blocks as Block[]).some((b) => b.type === 'actions')).toBe(false);
  });

  it('bad or unknown pods: one ephemeral line, nothing posted', async () => {
    await command('why pod Shop/../x');
    await command('why pod shop/gone');
    await h.bot.idle();
    expect(rec.callsOf('chat.postMessage')).toEqual([]);
    const lines = rec.responses.map((r) => String(r.body.text));
    expect(lines.some((l) => l.includes('is not a namespace name') || l.includes('is not NAMESPACE/NAME'))).toBe(true);
    expect(lines.some((l) => l.includes('pod shop/gone not found'))).toBe(true);
  });

  it('a pasted `oc describe pod` in a mention gets the same answer, in the thread', async () => {
    const paste = readFileSync(join(CORPUS, 'not-mirrored/cri-client.describe-pod.txt'), 'utf8');
    await postSigned(
      h.port!,
      JSON.stringify(mentionEvent({ text: `<@UBOT0001> \`\`\`${paste}\`\`\``, ts: '1700000000.000700' })),
      'application/json',
    );
    await h.bot.idle();
    expect(pods.asked.at(-1)).toBe('shop/web-not-mirrored-7d9f8b6c5-x2x4q');
    const post = rec.callsOf('chat.postMessage').at(-1)!.params;
    expect(post.thread_ts).toBe('1700000000.000700');
    expect(String(post.text)).toMatch(/not-mirrored/);
  });

  it('a pasted event naming no pod: the verdict from the text and the policies', async () => {
    const x509 = readFileSync(join(CORPUS, 'x509/grpc-prefix.event-failed.txt'), 'utf8');
    await postSigned(
      h.port!,
      JSON.stringify(mentionEvent({ text: `<@UBOT0001> ${x509}`, ts: '1700000000.000800' })),
      'application/json',
    );
    await h.bot.idle();
    const post = rec.callsOf('chat.postMessage').at(-1)!.params;
    expect(String(post.text)).toMatch(/mirror-tls: the node tried 127\.0\.0\.1:5004 \(tls\)/);
    expect(JSON.stringify(post.blocks)).toContain('additionalTrustedCA');
  });
});
