// A what-if under load, for test/slack/what-if-worker.test.ts and the what-if bench: the real Bolt app (test
// harness, Web API at the recording server) answers `@icsp-bot what-if` with the proposal as an attached file (as an
// oc-mirror result is shared; a local stand-in for files.slack.com serves it) against the given policies and running
// images, while a worker thread sends `/icsp help` every 50 ms (ack-prober.ts). Reports how long the bot's event loop
// was held at most (between two turns of a 1 ms timer), the slowest help ack sent while the what-if was in flight,
// the time to the answer, and what was posted.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { PolicySet } from '../../../src/domain/policy-set.ts';
import { addUse } from '../../../src/domain/running-images.ts';
import type { ImageUsage } from '../../../src/domain/running-images.ts';
import type { WhatIfEngine } from '../../../src/slack/what-if-compute.ts';
import { startHarness } from './bot-harness.ts';
import { RecordingServer } from './recording-server.ts';
import { startAckProber } from './ack-prober.ts';
import { mentionEvent, postSigned } from './slack-fixtures.ts';

const DIGEST = `sha256:${'d'.repeat(64)}`;

/** `n` running images under the sources of bench/engine-bench.ts's generatePolicies(sources), half by digest. */
export function runningImages(n: number, sources: number): ImageUsage {
  const u: ImageUsage = new Map();
  for (let k = 0; k < n; k++) {
    const i = (k * 7919) % sources;
    const ref =
      k % 2 === 0
        ? `registry-${i % 17}.example.com/ns-${i % 97}/repo-${i}/app-${k}@${DIGEST}`
        : `registry-${i % 17}.example.com/ns-${i % 97}/repo-${i}/app-${k}:v${k % 9}`;
    addUse(u, ref, `ns-${k % 150}`, 1 + (k % 3));
  }
  return u;
}

/** A new IDMS adding a mirror to every tenth source of bench/engine-bench.ts's policies: 1 in 10 images reroute. */
export function proposalYaml(sources: number): string {
  const rules: string[] = [];
  for (let i = 0; i < sources; i += 10)
    rules.push(
      `  - source: registry-${i % 17}.example.com/ns-${i % 97}/repo-${i}\n` +
        `    mirrors: [new-mirror.corp.example/repo-${i}]\n`,
    );
  return (
    'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata:\n  name: new-mirror\n' +
    `spec:\n  imageDigestMirrors:\n${rules.join('')}`
  );
}

/**
 * How long this thread's event loop is held: the largest gap between two turns of a 1 ms timer, as wall time and
 * as this thread's CPU time (on a busy shared machine the OS pauses threads; CPU time is the work we put on the loop).
 */
export class LoopGaps {
  maxWall = 0;
  maxCpu = 0;
  private last = performance.now();
  private lastCpu = process.threadCpuUsage();
  private timer: NodeJS.Timeout | undefined;
  private tick = (): void => {
    const t = performance.now();
    const c = process.threadCpuUsage();
    this.maxWall = Math.max(this.maxWall, t - this.last);
    this.maxCpu = Math.max(this.maxCpu, (c.user + c.system - this.lastCpu.user - this.lastCpu.system) / 1000);
    this.last = t;
    this.lastCpu = c;
    this.timer = setTimeout(this.tick, 1);
  };
  start(): void {
    this.last = performance.now();
    this.lastCpu = process.threadCpuUsage();
    this.timer = setTimeout(this.tick, 1);
  }
  stop(): { wallMs: number; cpuMs: number } {
    clearTimeout(this.timer);
    this.tick();
    clearTimeout(this.timer);
    return { wallMs: this.maxWall, cpuMs: this.maxCpu };
  }
}

export interface SlackWhatIfFigures {
  /** Longest the bot's event loop was held between the what-if command and its answer: CPU time and wall time. */
  blockCpuMs: number;
  blockWallMs: number;
  /** Slowest ack of a /icsp help sent while the what-if was in flight, and how many were sent then. */
  helpAckMaxMs: number;
  helps: number;
  /** From the what-if command to its report in the thread. */
  answerMs: number;
  /** The what-if.json uploaded. */
  json: string;
  /** The messages posted (verdict, report): text and blocks. */
  posts: Array<{ text: unknown; blocks: unknown }>;
}

/** `engine`: undefined for the bot's default (the worker thread); an InProcessWhatIfEngine shows the loop held. */
export async function slackWhatIf(
  policies: PolicySet,
  images: ImageUsage,
  yaml: string,
  engine?: WhatIfEngine,
): Promise<SlackWhatIfFigures> {
  const rec = new RecordingServer();
  await rec.start();
  const files = createServer((_req, res) => res.end(yaml));
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(files.address() as AddressInfo).port}/files-pri/T1-F1/download/idms.yaml`;
  const h = await startHarness(
    rec,
    'http',
    { LOG_LEVEL: 'warn' },
    {
      deps: {
        whatIfState: async () => ({ policies, images, pools: [], machineConfiguration: null, notes: [] }),
        ...(engine !== undefined ? { whatIfEngine: engine } : {}),
      },
    },
  );
  try {
    const answered = (): boolean => rec.callsOf('files.completeUploadExternal').length > 0;
    const prober = startAckProber(h.port!, rec.responseUrl('h'), 50);
    await prober.ready;
    const gaps = new LoopGaps();
    gaps.start();
    const t0 = performance.now();
    const ev = mentionEvent({ text: '<@UBOT0001> what-if', ts: '1700000000.000100' });
    (ev.event as Record<string, unknown>).files = [{ name: 'idms.yaml', size: yaml.length, url_private_download: url }];
    const ack = await postSigned(h.port!, JSON.stringify(ev), 'application/json');
    if (ack.status !== 200) throw new Error(`what-if not acked: HTTP ${ack.status}`);
    await rec.waitFor(answered, 120_000);
    const answerMs = performance.now() - t0;
    const answeredAt = performance.timeOrigin + performance.now();
    const acks = (await prober.stop()).filter((a) => a.sentAt < answeredAt);
    if (acks.some((a) => a.status !== 200)) throw new Error('a help command was not acked with 200');
    await h.bot.idle();
    const block = gaps.stop();
    // the uploads of what-if.json and what-if.txt run concurrently: find it by the id completeUploadExternal names
    // with its title (src/slack/what-if-flow.ts), not by the order of the requests
    const id = rec
      .callsOf('files.completeUploadExternal')
      .flatMap((c) => c.params.files as Array<{ id: string; title?: string }>)
      .find((f) => f.title === 'What-if, machine-readable')?.id;
    const body = rec.uploads.find((u) => u.id === id)?.body ?? '';
    const m = /^--(\S+)\r\n[\s\S]*?\r\n\r\n([\s\S]*?)\r\n--\1--/.exec(body);
    return {
      blockCpuMs: block.cpuMs,
      blockWallMs: block.wallMs,
      helpAckMaxMs: Math.max(0, ...acks.map((a) => a.ms)),
      helps: acks.length,
      answerMs,
      json: m === null ? body : m[2]!,
      posts: rec.callsOf('chat.postMessage').map((c) => ({ text: c.params.text, blocks: c.params.blocks })),
    };
  } finally {
    await h.bot.stop();
    await rec.stop();
    await new Promise<void>((r) => files.close(() => r()));
  }
}
