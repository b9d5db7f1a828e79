// The bot's side of bench/triage-scale-bench.ts, in a process of its own (node --expose-gc) so that its memory is
// the bot's alone. It builds what src/main.ts builds for ICSP_TRIAGE_CHANNEL on one cluster: the cluster's live
// policy source (createClusterChecker) and, from the same env settings, createTriageChannel (event watches,
// classifier, pod probe, ConfigMap state, its own Lease) with the Slack sink pointed at the bench's recording
// server. The triage memory is measured against a baseline taken after the policy source is up and before the
// triage channel starts. The parent drives it over IPC: {cmd:'status'} and {cmd:'measure'}; it answers each.
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { KubeConfig } from '@kubernetes/client-node';
import { createTriageChannel, triageSettingsFromEnv } from '../src/composition/triage-notifier.ts';
import { createClusterChecker } from '../src/main.ts';
import { SlackChatSink } from '../src/slack/chat-sink.ts';

/** What the parent passes as argv[2] (JSON). */
export interface BotArgs {
  server: string;
  token: string;
  slackApiUrl: string;
  env: Record<string, string>;
}

export interface BotMemory {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  /** RSS by kind of mapping (/proc/self/smaps): where memory the V8 heap no longer counts still sits */
  mappings: { brk: number; arenas: number; otherAnon: number; file: number; lazyFree: number };
  /** V8's own count of the heap memory it has committed (all spaces) */
  v8Physical: number;
}

export type BotMessage =
  | { kind: 'ready'; startMs: number; baseline: BotMemory }
  | {
      kind: 'status';
      queued: number;
      passes: number;
      dropped: number;
      eventRequests: number;
      probeRequests: number;
      relists: number;
      heapTrims: number;
      chatCalls: number;
      lastChatAt: number;
    }
  | { kind: 'memory'; idle: BotMemory; after: BotMemory; lastResort: BotMemory; peakRss: number; peakHeap: number };

const args = JSON.parse(process.argv[2] ?? '{}') as BotArgs;
const send = (m: BotMessage): void => void process.send?.(m);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

// glibc reserves each thread arena as a 64 MiB (HEAP_MAX_SIZE) aligned mapping: a read-write part followed by its
// PROT_NONE rest. V8's pages and everything else are mapped in other shapes.
const ARENA_BYTES = 64 * 1024 * 1024;

interface Mapping {
  start: number;
  size: number;
  perms: string;
  name: string;
  rss: number;
}

function mappings(): BotMemory['mappings'] {
  const list: Mapping[] = [];
  let lazyFree = 0;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head !== null) {
      const start = Number.parseInt(head[1]!, 16);
      list.push({ start, size: Number.parseInt(head[2]!, 16) - start, perms: head[3]!, name: head[4]!, rss: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null && list.length > 0) list[list.length - 1]!.rss = Number(rss[1]) * 1024;
    // pages given back with MADV_FREE: still counted in RSS until the kernel needs them
    const lazy = /^LazyFree:\s+(\d+) kB/.exec(line);
    if (lazy !== null) lazyFree += Number(lazy[1]) * 1024;
  }
  const out = { brk: 0, arenas: 0, otherAnon: 0, file: 0, lazyFree };
  for (let i = 0; i < list.length; i++) {
    const m = list[i]!;
    const rest = list[i + 1];
    const arena =
      m.name === '' &&
      m.start % ARENA_BYTES === 0 &&
      (m.size === ARENA_BYTES ||
        (rest !== undefined && rest.name === '' && rest.perms.startsWith('---') && m.size + rest.size === ARENA_BYTES));
    if (m.name === '[heap]') out.brk += m.rss;
    else if (arena) out.arenas += m.rss;
    else if (m.name.startsWith('/')) out.file += m.rss;
    else out.otherAnon += m.rss;
  }
  return out;
}

function memory(): BotMemory {
  const m = process.memoryUsage();
  return {
    mappings: mappings(),
    v8Physical: getHeapStatistics().total_physical_size,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    rss: m.rss,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

async function settledGc(): Promise<BotMemory> {
  // twice with a turn of the event loop between: finalizers and weak references let go on the second
  gc!();
  await new Promise((r) => setTimeout(r, 200));
  gc!();
  return memory();
}

const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'bench', server: args.server, skipTLSVerify: true }],
  users: [{ name: 'bot', token: args.token }],
  contexts: [{ name: 'bot', cluster: 'bench', user: 'bot' }],
  currentContext: 'bot',
});
const checker = await createClusterChecker(args.env, kc);
const triage = triageSettingsFromEnv(args.env);
if (triage.settings === null || triage.errors.length > 0)
  throw new Error(`triage settings: ${triage.errors.join('; ')}`);
let chatCalls = 0;
let lastChatAt = 0;
const sink = new SlackChatSink({ token: 'xoxb-bench', apiUrl: args.slackApiUrl });
const counted = {
  post: (...a: Parameters<SlackChatSink['post']>) => ((chatCalls++, (lastChatAt = Date.now())), sink.post(...a)),
  update: (...a: Parameters<SlackChatSink['update']>) => ((chatCalls++, (lastChatAt = Date.now())), sink.update(...a)),
  reply: (...a: Parameters<SlackChatSink['reply']>) => ((chatCalls++, (lastChatAt = Date.now())), sink.reply(...a)),
};
// give the policy watches time to list before the baseline
await new Promise((r) => setTimeout(r, 1000));
const baseline = await settledGc();
let peakRss = baseline.rss;
let peakHeap = baseline.heapUsed;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 50);
// TRIAGE_SCALE_HEAP_PROFILE=DIR: a sampling heap profile of the start, including the objects a major GC collected
// (what the peak is made of), written to DIR at 'measure'
const profileDir = process.env.TRIAGE_SCALE_HEAP_PROFILE;
const inspector = profileDir ? new (await import('node:inspector/promises')).Session() : undefined;
if (inspector !== undefined) {
  inspector.connect();
  await inspector.post('HeapProfiler.startSampling', {
    samplingInterval: 32 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: false,
  });
}
const t0 = performance.now();
const channel = createTriageChannel(kc, counted, triage.settings, (image) => checker.policySource.explain(image), {});
await channel.start();
send({ kind: 'ready', startMs: performance.now() - t0, baseline });

process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'status') {
    send({
      kind: 'status',
      queued: channel.notifier.queued,
      passes: channel.notifier.passes,
      dropped: channel.notifier.dropped,
      eventRequests: channel.events.requests,
      probeRequests: channel.probe.requests,
      relists: channel.events.relists,
      heapTrims: channel.heap.trims,
      chatCalls,
      lastChatAt,
    });
  } else if (m.cmd === 'measure') {
    if (inspector !== undefined)
      void inspector.post('HeapProfiler.stopSampling').then(async (r) => {
        const { writeFile } = await import('node:fs/promises');
        await writeFile(`${profileDir}/bot-${args.env.POD_NAME}.heapprofile`, JSON.stringify(r.profile));
      });
    // idle: what the process holds on its own after the idle window (V8's memory reducer had its chance);
    // lastResort: what a GC that also gives pooled pages back leaves (diagnosis only; the limits use 'after')
    const idle = memory();
    void settledGc().then(async (after) => {
      (gc as unknown as (o: object) => void)({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      await new Promise((r) => setTimeout(r, 200));
      send({ kind: 'memory', idle, after, lastResort: memory(), peakRss, peakHeap });
    });
  } else if (m.cmd === 'stop') {
    clearInterval(sampler);
    void channel
      .stop()
      .then(() => checker.shutdown())
      .finally(() => process.exit(0));
  }
});
