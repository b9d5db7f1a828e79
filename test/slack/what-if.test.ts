// The fix and what-if in Slack: real Bolt over signed HTTP, Web API at the recording server; a YAML file shared
// with the mention is served by a local stand-in for files.slack.com (same host as the API URL, so allowed).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { explain } from '../../src/domain/explain.ts';
import { parsePolicyDocuments } from '../../src/domain/policy-documents.ts';
import { overlayPolicies } from '../../src/domain/policy-overlay.ts';
import { METHOD_SCOPES } from '../../src/slack/scopes.ts';
import { exampleSource, startHarness } from './helpers/bot-harness.ts';
import type { Harness } from './helpers/bot-harness.ts';
import { RecordingServer } from './helpers/recording-server.ts';
import { BOT_TOKEN, commandForm, mentionEvent, postSigned } from './helpers/slack-fixtures.ts';

const FORM = 'application/x-www-form-urlencoded';
const IMAGE = 'imagestore.co/repo/exampleimage:latest';
const ITMS =
  'apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata:\n  name: tags\nspec:\n  ' +
  'imageTagMirrors:\n  - source: imagestore.co/repo\n    mirrors: [nexus.cminion.cf/repo]\n';
const rec = new RecordingServer();
let h: Harness;
let files: Server;
let filesPort = 0;
const fileRequests: Array<{ url: string; authorization: string | undefined }> = [];

async function command(text: string): Promise<number> {
  return (await postSigned(h.port!, commandForm({ text, responseUrl: rec.responseUrl('cmd') }), FORM)).status;
}

/** The bytes of an uploaded file: the upload POST is multipart; the file is the part after its blank line. */
function uploadedFile(name: string): string {
  const i = rec.callsOf('files.getUploadURLExternal').findIndex((c) => c.params.filename === name);
  expect(i, `${name} uploaded`).toBeGreaterThanOrEqual(0);
  const body = rec.uploads[i]!.body;
  const m = /^--(\S+)\r\n[\s\S]*?\r\n\r\n([\s\S]*?)\r\n--\1--/.exec(body);
  return m === null ? body : m[2]!;
}

beforeAll(async () => {
  await rec.start();
  files = createServer((req, res) => {
    fileRequests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    if (req.url === '/files-pri/T1-F1/download/proposed.yaml') {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(ITMS);
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesPort = (files.address() as AddressInfo).port;
  const { source } = await exampleSource();
  const policies = (await source.fixContext!()).policies;
  h = await startHarness(
    rec,
    'http',
    {},
    {
      deps: {
        whatIfState: async () => ({
          policies,
          images: new Map([
            [IMAGE, new Map([['shop', 2]])],
            ['quay.io/other/x:1', new Map([['shop', 1]])],
          ]),
          pools: [{ name: 'worker', machineCount: 3, lastRollout: { durationMs: 6 * 60_000, nodes: 3 } }],
          machineConfiguration: null,
          notes: [],
        }),
      },
    },
  );
});

afterEach(async () => {
  await h.bot.idle();
  for (const c of rec.calls) expect(Object.keys(METHOD_SCOPES)).toContain(c.method);
  rec.reset();
  fileRequests.length = 0;
});

afterAll(async () => {
  await h.bot.stop();
  await rec.stop();
  await new Promise<void>((r) => files.close(() => r()));
});

describe('/icsp fix', () => {
  it(
    'answers with the plan and the fix: a snippet with the command ' +
      'to apply it, and fix.yaml that the engine proves',
    async () => {
      expect(await command(`fix ${IMAGE}`)).toBe(200);
      await h.bot.idle();
      const posts = rec.callsOf('chat.postMessage').map((c) => c.params);
      expect(posts).toHaveLength(3);
      const fix = JSON.stringify(posts[2]!.blocks);
      expect(posts[2]!.thread_ts).toBe(posts[1]!.thread_ts);
      expect(fix).toContain('tag-pull-skips-digest-mirrors');
      expect(fix).toContain('mirror-first');
      expect(fix).toContain('oc apply -f fix.yaml');
      expect(fix).toContain('kind: ImageTagMirrorSet');
      const yaml = uploadedFile('fix.yaml');
      const { source } = await exampleSource();
      const before = (await source.fixContext!()).policies;
      const after = overlayPolicies(before, parsePolicyDocuments(yaml, 'fix.yaml').objects).policies;
      expect(explain({ reference: IMAGE, policies: after }).pullSources[0]!.reference).toBe(
        'nexus.cminion.cf/repo/exampleimage:latest',
      );
    },
  );

  it('a bad mirror= is a one-line ephemeral error, nothing posted', async () => {
    expect(await command(`fix quay.io/x/y:1 mirror=https://evil`)).toBe(200);
    await h.bot.idle();
    expect(rec.callsOf('chat.postMessage')).toHaveLength(0);
    expect(JSON.stringify(rec.responses.at(-1)?.body)).toContain('mirror= takes a repository location');
  });
});

describe('what-if in Slack', () => {
  it(
    '/icsp what-if with pasted YAML in a code fence: verdict, drain per pool, ' +
      'rerouted images by namespace, report and JSON in the thread',
    async () => {
      expect(await command(`what-if \`\`\`${ITMS}\`\`\``)).toBe(200);
      await h.bot.idle();
      const posts = rec.callsOf('chat.postMessage').map((c) => c.params);
      expect(posts).toHaveLength(2);
      const head = JSON.stringify(posts[0]!.blocks);
      expect(posts[0]!.thread_ts).toBeUndefined();
      expect(head).toContain('the MCO REFUSES the result');
      expect(head).toContain('invalid format for source');
      const json = JSON.parse(uploadedFile('what-if.json')) as { mco: { accepts: boolean } };
      expect(json.mco.accepts).toBe(false);
      expect(posts[1]!.thread_ts).toBeDefined();
    },
  );

  it(
    '@icsp-bot what-if with a YAML file and remove=: the file is fetched ' +
      'with the bot token from the file host, the answer threads',
    async () => {
      const fixed =
        'apiVersion: operator.openshift.io/v1alpha1\nkind: ImageContentSourcePolicy\nmetada' +
        'ta: {name: ibm-cp-common-services}\nspec:\n  repositoryDigestMirrors:\n  - source: ' +
        'imagestore.co/repo\n    mirrors: [nexus.cminion.cf/repo]\n';
      const ev = mentionEvent({
        text: `<@UBOT0001> what-if \`\`\`${fixed}\`\`\``,
        ts: '1700000000.000900',
        threadTs: '1700000000.000800',
      });
      (ev.event as Record<string, unknown>).files = [
        {
          name: 'proposed.yaml',
          size: ITMS.length,
          url_private_download: `http://127.0.0.1:${filesPort}/files-pri/T1-F1/download/proposed.yaml`,
        },
      ];
      expect((await postSigned(h.port!, JSON.stringify(ev), 'application/json')).status).toBe(200);
      await h.bot.idle();
      expect(fileRequests).toEqual([
        { url: '/files-pri/T1-F1/download/proposed.yaml', authorization: `Bearer ${BOT_TOKEN}` },
      ]);
      const posts = rec.callsOf('chat.postMessage').map((c) => c.params);
      expect(posts.every((p) => p.thread_ts === '1700000000.000800')).toBe(true);
      const head = JSON.stringify(posts[0]!.blocks);
      expect(head).toContain('the MCO accepts the result');
      expect(head).toContain('worker: *drain*, no reboot (3 node(s), 1 at a time, about 6 min)');
      expect(head).toContain('*1* of 2 running image(s) change route (shop 1)');
      const json = JSON.parse(uploadedFile('what-if.json')) as {
        rerouted: Array<{ image: string; namespaces: string[]; after: string[] }>;
      };
      expect(json.rerouted).toEqual([
        expect.objectContaining({
          image: IMAGE,
          namespaces: ['shop'],
          after: ['nexus.cminion.cf/repo/exampleimage:latest', IMAGE],
        }),
      ]);
    },
  );

  it(
    'a file on another host is never fetched (the bot token stays ' + 'with Slack); no YAML at all is a one-line error',
    async () => {
      const ev = mentionEvent({ text: '<@UBOT0001> what-if', ts: '1700000000.001000' });
      (ev.event as Record<string, unknown>).files = [
        { name: 'proposed.yaml', url_private_download: 'https://attacker.example/steal.yaml' },
      ];
      await postSigned(h.port!, JSON.stringify(ev), 'application/json');
      await h.bot.idle();
      expect(fileRequests).toEqual([]);
      expect(JSON.stringify(rec.callsOf('chat.postEphemeral').at(-1)?.params)).toContain("not on Slack's file host");
      rec.reset();
      expect(await command('what-if')).toBe(200);
      await h.bot.idle();
      expect(JSON.stringify(rec.responses.at(-1)?.body)).toContain('what-if needs the proposed objects');
    },
  );
});
