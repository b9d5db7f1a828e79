// The Bolt wiring: `/icsp` commands, @-mentions and the buttons of a live answer, in Socket Mode or HTTP. Every
// listener acks first (within Slack's 3 s), then works in the background; every background task is tracked, and
// every failure ends in a log line and, where a user waits, an ephemeral message. No unhandled rejection.
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { AllMiddlewareArgs, App as BoltApp, LogLevel, RespondFn } from '@slack/bolt';
import type { Server } from 'node:http';
import type { Logger } from '../ports/logger.ts';
import type { LiveChecker, LiveCheckResult, NodeSelection, PolicySource } from '../ports/live-check.ts';
import type { AppMentionPayload, BlockActionPayload, SlashCommandPayload } from '../types/slack.ts';
import { BusyError, channelAllowed, ConcurrencyGate, InFlight, LiveAccess, RateLimiter } from './access.ts';
import {
  ACTIONS,
  anchorMessage,
  diffMessage,
  errorMessage,
  helpMessage,
  liveMessage,
  noteMessage,
  planMessage,
  policiesMessage,
  selectionText,
} from './blocks.ts';
import type { FittedMessage, PolicyLine } from './blocks.ts';
import { boltLogger } from './bolt-logger.ts';
import { parseCommand, quoteInput } from './command-parser.ts';
import type { Command } from './command-parser.ts';
import type { BotConfig } from './config.ts';
import { formatExplanation } from '../domain/explain-report.ts';
import { safeFileName, uploadToThread } from './file-upload.ts';
import type { UploadFile } from './file-upload.ts';
import { SLASH_COMMAND } from './scopes.ts';
import { frontDoor } from './front-door.ts';
import { checkPayload, OUR_ACTIONS } from './payload-check.ts';
import { userFacing } from './user-facing.ts';
import { WorkSlots } from './work-slots.ts';
import { callSlack, ERROR_CHARS, slackErrorCode } from './slack-call.ts';
import { errorText } from '../domain/error-text.ts';
import type { WhatIfClusterState } from '../ports/what-if.ts';
import type { SharedFile } from './what-if-answers.ts';
import { fixAnswer, whatIfAnswer } from './what-if-flow.ts';
import type { WhatIfEngine } from './what-if-compute.ts';
import { WorkerWhatIfEngine } from './what-if-worker.ts';
import type { SlackOutbound } from './outbound.ts';
import { watchHello } from './socket-hello.ts';
import { extractClusterOption } from './cluster-option.ts';
import { fleetAnchorMessage, fleetStatusText } from './fleet-blocks.ts';
import type { FleetAnswer } from './fleet-blocks.ts';
import type { Fleet } from '../ports/fleet.ts';
import type { PodFacts } from '../ports/pod-triage.ts';
import { pasteTriageMessage, podTriageMessage, TRIAGE_ACTIONS } from './triage-blocks.ts';
import { looksLikeKubeletText, triagePaste } from './triage-paste.ts';
import type { RetryPolicy } from './slack-call.ts';
import { liveCheckRequest, planWhy } from '../app/why.ts';
import { whyPod } from '../app/why-pod.ts';
import type { PodTriage } from '../domain/triage/pod-triage.ts';
import type { WhyPlan } from '../app/why.ts';
import type { PoolStatus } from '../domain/rollout-status.ts';

const INFO = 'info' as LogLevel;

/** What the app uses of @slack/socket-mode's client (Bolt keeps it on its receiver). */
type SocketClientLike = { on(ev: string, cb: () => void): void } & Parameters<typeof watchHello>[0];

export interface SlackBotDeps {
  config: BotConfig;
  logger: Logger;
  policySource: PolicySource;
  /** undefined: no cluster, live checks off. */
  liveChecker: LiveChecker | undefined;
  listPolicies?: (filter: string | null) => Promise<PolicyLine[]>;
  /** undefined: no cluster; /icsp status says it needs one. */
  poolStatus?: () => Promise<PoolStatus[]>;
  /** What a what-if reads from the cluster (offline: the policy files only). undefined: what-if is off. */
  whatIfState?: () => Promise<WhatIfClusterState>;
  /** Computes what-ifs; default: a worker thread started on the first what-if, terminated by stop(). */
  whatIfEngine?: WhatIfEngine;
  /** What `why pod` reads from the cluster; undefined: no cluster, `why pod` says it needs one. */
  podFacts?: PodFacts;
  /** Test hook: overrides the sleep of 429 retries. */
  sleep?: (ms: number) => Promise<void>;
  /** Told of Slack Web API retries and failures (metrics). */
  observeSlackCall?: (event: 'retry' | 'error', error: string) => void;
  /** Every outgoing connection to Slack (proxy, NO_PROXY); undefined: Node's defaults, direct. */
  outbound?: SlackOutbound;
  /**
   * Socket Mode: start even when Slack reports another open connection of this app (see the README's fleet section).
   */
  allowSharedApp?: boolean;
  /** Several clusters (ICSP_KUBECONFIGS, contexts): commands name one with cluster=NAME, or all with cluster=all. */
  fleet?: Fleet;
}

/** The cluster one command is aimed at: the bot's own, or one of its fleet. */
type Scope = Pick<
  SlackBotDeps,
  'policySource' | 'liveChecker' | 'poolStatus' | 'listPolicies' | 'whatIfState' | 'podFacts'
> & { cluster: string };

export interface SlackBot {
  app: BoltApp;
  /** Starts the receiver; in HTTP mode resolves with the bound port. */
  start(): Promise<{ port?: number }>;
  stop(): Promise<void>;
  /** Resolves when every background task started so far has finished (tests, bench, shutdown). */
  idle(): Promise<void>;
  /** Socket Mode: the WebSocket is up; HTTP mode: the server listens. For /readyz. */
  connected(): boolean;
  /** Socket Mode: set when Slack says another connection of this app is open (events then go to either). */
  sharedConnectionWarning(): string | undefined;
}

/** Where and how to answer one request. */
interface Target {
  channel: string;
  user: string;
  /** An existing thread to answer in (mentions, buttons); undefined: post an anchor first (slash commands). */
  threadTs: string | undefined;
  /** Only the asker sees it. */
  ephemeral(m: FittedMessage): Promise<void>;
  /** Help, policies, status: ephemeral for commands, in the thread for mentions. */
  info(m: FittedMessage): Promise<void>;
  origin: 'command' | 'mention' | 'action';
}

/** What the buttons under a live answer need; not the logs (they can be megabytes per node). */
interface LiveState {
  /** The cluster the check ran on (its buttons run there again). */
  cluster: string;
  image: string;
  selection: NodeSelection;
  channel: string;
  threadTs: string;
  nodes: Array<Pick<LiveCheckResult['nodes'][number], 'node' | 'configDifferences'>>;
  at: number;
}

const NOT_IN_CHANNEL = new Set(['not_in_channel', 'channel_not_found']);
const STATE_MAX = 500;
const STATE_TTL_MS = 24 * 3600_000;
const DEDUPE_TTL_MS = 10 * 60_000;

export function createSlackBot(deps: SlackBotDeps): SlackBot {
  const { config, logger } = deps;
  const audit = logger.child({ audit: true });
  const retry: RetryPolicy = {
    retries: config.slackRetries,
    maxRetryAfterMs: config.maxRetryAfterMs,
    ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
    ...(deps.observeSlackCall === undefined ? {} : { observe: deps.observeSlackCall }),
  };
  const clientOptions = {
    ...(config.apiUrl === undefined ? {} : { slackApiUrl: config.apiUrl }),
    // 429s are handled by callSlack (bounded Retry-After); network errors get a short retry here.
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    // Web API, respond() to response_url and file uploads all use this fetch: through the proxy when one is set.
    ...(deps.outbound === undefined ? {} : { fetch: deps.outbound.fetch }),
  };
  const blog = boltLogger(logger.child({ component: 'bolt' }));
  let app: BoltApp;
  let socketClient: SocketClientLike | undefined;
  let helloConnections = 0;
  if (config.mode === 'socket') {
    // Our own receiver: Bolt's App does not pass a dispatcher to it, and the WebSocket needs one for a proxy.
    const receiver = new SocketModeReceiver({
      appToken: config.appToken ?? '',
      logger: blog,
      logLevel: INFO,
      // apps.connections.open on (re)connect: keep retrying through an outage (a network error is not retried by the
      // Socket Mode client itself, so a short retry budget would leave the bot disconnected for good).
      installerOptions: {
        clientOptions: {
          ...clientOptions,
          retryConfig: { retries: 100_000, factor: 1.5, minTimeout: 1000, maxTimeout: 30_000 },
        },
      },
      ...(deps.outbound === undefined ? {} : { dispatcher: deps.outbound.dispatcher }),
    });
    socketClient = (receiver as unknown as { client: SocketClientLike }).client;
    watchHello(socketClient, (n) => {
      helloConnections = n;
      if (n > 1)
        logger.error(
          { connections: n },
          'Slack reports another open Socket Mode connection of this app: events go to either ' +
            'connection at random; run one app per cluster or HTTP mode behind one route',
        );
    });
    app = new App({ token: config.botToken, receiver, clientOptions, logger: blog, logLevel: INFO });
  } else {
    // Our own HTTPReceiver, so the front door (front-door.ts) sees every request before Bolt does.
    const receiver = new HTTPReceiver({
      signingSecret: config.signingSecret ?? '',
      port: config.port,
      logger: blog,
      logLevel: INFO,
    });
    receiver.requestListener = frontDoor(receiver.requestListener, {
      signingSecret: config.signingSecret ?? '',
      logger: logger.child({ component: 'front-door' }),
    });
    app = new App({ token: config.botToken, receiver, clientOptions, logger: blog, logLevel: INFO });
  }
  const client = app.client;

  const cluster = config.clusterName ?? deps.policySource.cluster;
  const home: Scope = {
    cluster,
    policySource: deps.policySource,
    liveChecker: deps.liveChecker,
    poolStatus: deps.poolStatus,
    listPolicies: deps.listPolicies,
    whatIfState: deps.whatIfState,
    podFacts: deps.podFacts,
  };
  const clusterNames = (): readonly string[] => deps.fleet?.names() ?? [cluster];

  /** One cluster by name; rejects with a sentence when it is unknown or unreachable. */
  async function scopeOf(name: string): Promise<Scope> {
    if (deps.fleet === undefined) {
      if (name === cluster) return home;
      throw new Error(`unknown cluster ${JSON.stringify(name)}: this bot serves ${cluster}`);
    }
    const h = await deps.fleet.get(name);
    return {
      cluster: h.name,
      policySource: h.policySource,
      liveChecker: h.liveChecker,
      ...(h.poolStatus ? { poolStatus: h.poolStatus } : {}),
      ...(h.listPolicies ? { listPolicies: h.listPolicies } : {}),
      ...(h.podFacts ? { podFacts: h.podFacts } : {}),
    };
  }
  const limiter = new RateLimiter(config.rateLimit.max, config.rateLimit.windowMs);
  const gate = new ConcurrencyGate(config.maxConcurrentChecks, config.maxConcurrentChecks * 4);
  const inflight = new InFlight<LiveCheckResult>();
  const liveAccess = new LiveAccess(
    config.liveUsers,
    async (group) => {
      const r = await callSlack(retry, () => client.usergroups.users.list({ usergroup: group }));
      return r.users ?? [];
    },
    config.usergroupCacheMs,
  );
  const states = new Map<string, LiveState>();
  const seen = new Map<string, number>();
  const tasks = new Set<Promise<void>>();
  const slots = new WorkSlots(config.workers);
  // what-if is CPU-heavy (0.5 s and more at oc-mirror sizes): off the event loop that acks Slack.
  const whatIfEngine = deps.whatIfEngine ?? new WorkerWhatIfEngine();
  let seq = 0;

  /** Runs work after the ack; tracked; never rejects. */
  function background(label: string, work: () => Promise<void>): void {
    // setImmediate: the ack's response is written, and other arrived requests are acked, before this work runs.
    const p = new Promise<void>((r) => setImmediate(r))
      .then(() => slots.run(work))
      .catch((e: unknown) => logger.error({ err: errorText(e, ERROR_CHARS), task: label }, 'background task failed'))
      .finally(() => tasks.delete(p));
    tasks.add(p);
  }

  function firstSeen(key: string): boolean {
    const now = Date.now();
    if (seen.size > 5000) for (const [k, t] of seen) if (now - t > DEDUPE_TTL_MS) seen.delete(k);
    const t = seen.get(key);
    if (t !== undefined && now - t < DEDUPE_TTL_MS) return false;
    seen.set(key, now);
    return true;
  }

  // Slack's retries (HTTP X-Slack-Retry-Num, Socket Mode re-deliveries) of an event already taken: dropped.
  app.use(async ({ body, context, next }) => {
    const b = body as { event_id?: string; type?: string };
    if (typeof b.event_id === 'string' && !firstSeen(`event:${b.event_id}`)) {
      logger.info(
        { eventId: b.event_id, retryNum: context.retryNum, retryReason: context.retryReason },
        'duplicate event dropped (Slack retry)',
      );
      return;
    }
    await next();
  });

  async function post(channel: string, threadTs: string | undefined, m: FittedMessage): Promise<string> {
    const r = await callSlack(retry, () =>
      client.chat.postMessage({
        channel,
        text: m.text,
        blocks: m.blocks,
        ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    return r.ts ?? '';
  }

  async function postEphemeral(
    channel: string,
    user: string,
    threadTs: string | undefined,
    m: FittedMessage,
  ): Promise<void> {
    await callSlack(retry, () =>
      client.chat.postEphemeral({
        channel,
        user,
        text: m.text,
        blocks: m.blocks,
        ...(threadTs === undefined ? {} : { thread_ts: threadTs }),
      }),
    );
  }

  async function respondWith(respond: RespondFn, m: FittedMessage): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await respond({ response_type: 'ephemeral', text: m.text, blocks: m.blocks });
        return;
      } catch (e) {
        if (attempt >= 2) throw e;
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  async function upload(channel: string, threadTs: string, files: UploadFile[]): Promise<void> {
    try {
      await uploadToThread(client, retry, channel, threadTs, files);
    } catch (e) {
      logger.error(
        { err: errorText(e, ERROR_CHARS), channel, files: files.map((f) => f.filename) },
        'file upload failed',
      );
      await post(
        channel,
        threadTs,
        noteMessage(
          cluster,
          `Could not upload ${files.map((f) => f.filename).join(', ')}: ` +
            `${slackErrorCode(e) ?? errorText(e, ERROR_CHARS)}`,
        ),
      );
    }
  }

  async function handleText(t: Target, text: string, files?: SharedFile[]): Promise<void> {
    // Channel and rate limit first: nothing a user types is even parsed where the bot does not answer.
    if (!channelAllowed(config.allowedChannels, t.channel)) {
      return t.ephemeral(
        errorMessage(
          cluster,
          `icsp-bot does not answer in this channel (${t.channel}); ask ` +
            `the bot's admin to add it to ICSP_ALLOWED_CHANNELS`,
        ),
      );
    }
    const wait = limiter.take(t.user);
    if (wait > 0)
      return t.ephemeral(
        errorMessage(cluster, `rate limit: too many requests, try again in ${Math.ceil(wait / 1000)} s`),
      );
    // a pasted kubelet event or `oc describe pod` output after @icsp-bot: the same answer as `why pod`
    if (t.origin === 'mention' && looksLikeKubeletText(text)) return answerPaste(t, text);
    const scoped = extractClusterOption(text);
    if (!scoped.ok) return t.ephemeral(errorMessage(cluster, scoped.error));
    const parsed = parseCommand(scoped.rest);
    if (!parsed.ok) return t.ephemeral(errorMessage(cluster, parsed.error));
    const c = parsed.command;
    if (c.kind === 'help') return runCommand(t, c, files, home);
    const names = clusterNames();
    if (scoped.choice.kind === 'all' && names.length > 1) return runEverywhere(t, c, names);
    let name: string;
    if (scoped.choice.kind === 'one') name = scoped.choice.name;
    else if (names.length === 1) name = names[0]!;
    else
      return t.ephemeral(
        errorMessage(
          cluster,
          `this bot serves ${names.length} clusters (${names.join(', ')}): add cluster=NAME or cluster=all`,
        ),
      );
    let s: Scope;
    try {
      s = await scopeOf(name);
    } catch (e) {
      return t.ephemeral(errorMessage(cluster, errorText(e, ERROR_CHARS)));
    }
    await runCommand(t, c, files, s);
  }

  /**
   * Posts the anchor: a new top-level message (slash commands) or into the existing thread (mentions, buttons).
   * Where the bot is not a member it says so instead of throwing, so the caller can answer ephemerally.
   */
  async function openThread(
    t: Target,
    anchor: FittedMessage,
  ): Promise<{ threadTs: string } | { notInChannel: string }> {
    try {
      const threadTs = t.threadTs ?? (await post(t.channel, undefined, anchor));
      if (t.threadTs !== undefined) await post(t.channel, threadTs, anchor);
      return { threadTs };
    } catch (e) {
      const code = slackErrorCode(e);
      if (code !== undefined && NOT_IN_CHANNEL.has(code)) return { notInChannel: code };
      throw e;
    }
  }

  /** cluster=all: every cluster at once (the answer waits for the slowest, not for the sum), in one thread. */
  async function runEverywhere(t: Target, c: Command, names: readonly string[]): Promise<void> {
    if (c.kind === 'status') {
      const parts = await Promise.all(
        names.map(
          async (
            n,
          ): Promise<{
            name: string;
            lines?: Awaited<ReturnType<NonNullable<Scope['poolStatus']>>>;
            error?: string;
          }> => {
            try {
              const s = await scopeOf(n);
              if (s.poolStatus === undefined) return { name: n, error: 'no pool status (offline)' };
              return { name: n, lines: await s.poolStatus() };
            } catch (e) {
              return { name: n, error: errorText(e, ERROR_CHARS) };
            }
          },
        ),
      );
      return t.info(noteMessage(cluster, fleetStatusText(parts)));
    }
    if (c.kind === 'policies') {
      for (const n of names) {
        try {
          const s = await scopeOf(n);
          await t.info(
            policiesMessage(n, c.filter, s.listPolicies === undefined ? [] : await s.listPolicies(c.filter)),
          );
        } catch (e) {
          await t.info(errorMessage(n, errorText(e, ERROR_CHARS)));
        }
      }
      return;
    }
    if (c.kind !== 'why' && c.kind !== 'plan')
      return t.ephemeral(
        errorMessage(
          cluster,
          `cluster=all works with why, plan, status and policies; name one cluster for ${c.kind} (cluster=NAME)`,
        ),
      );
    const answers: FleetAnswer[] = await Promise.all(
      names.map(async (n): Promise<FleetAnswer> => {
        try {
          const s = await scopeOf(n);
          return { cluster: n, explanation: await s.policySource.explain(c.image) };
        } catch (e) {
          return { cluster: n, error: errorText(e, ERROR_CHARS) };
        }
      }),
    );
    const anchor = fleetAnchorMessage({ image: c.image, requester: t.user, answers });
    const opened = await openThread(t, anchor);
    if ('notInChannel' in opened)
      return t.ephemeral(
        errorMessage(
          cluster,
          `I am not in this channel, so I cannot open a thread here: invite ` +
            `me with /invite @icsp-bot (${opened.notInChannel})`,
        ),
      );
    const threadTs = opened.threadTs;
    for (const a of answers)
      if (a.explanation !== undefined) await post(t.channel, threadTs, planMessage(a.cluster, a.explanation));
  }

  async function answerPaste(t: Target, text: string): Promise<void> {
    const r = await triagePaste(text, home.podFacts, home.policySource);
    if (r.kind === 'pod') return answerWhyPod(t, r.namespace, r.name, home, r.triage);
    if (r.kind === 'none') return t.ephemeral(errorMessage(cluster, r.error));
    await post(t.channel, t.threadTs, pasteTriageMessage(cluster, r.verdict));
  }

  async function answerWhyPod(t: Target, namespace: string, name: string, s: Scope, known?: PodTriage): Promise<void> {
    const pods = s.podFacts;
    if (pods === undefined && known === undefined)
      return t.ephemeral(
        errorMessage(s.cluster, 'why pod needs a cluster: this bot runs offline (policies from files)'),
      );
    let triage;
    try {
      triage = known ?? (await whyPod({ pods: pods as PodFacts, policies: s.policySource }, { namespace, name }));
    } catch (e) {
      return t.ephemeral(errorMessage(s.cluster, errorText(e, ERROR_CHARS)));
    }
    const c = triage.containers[0];
    const live =
      c !== undefined &&
      triage.node !== null &&
      s.liveChecker !== undefined &&
      (await liveAccess.mayRunLive(t.user).catch(() => false));
    const requestId = `t${++seq}-${Date.now().toString(36)}`;
    const msg = podTriageMessage(
      s.cluster,
      triage,
      live && triage.node !== null ? { requestId, node: triage.node } : null,
    );
    let ts: string;
    try {
      ts = await post(t.channel, t.threadTs, msg);
    } catch (e) {
      const code = slackErrorCode(e);
      if (code !== undefined && NOT_IN_CHANNEL.has(code)) return t.ephemeral(msg);
      throw e;
    }
    audit.info(
      {
        who: t.user,
        what: { pod: `${namespace}/${name}` },
        where: { channel: t.channel },
        result: triage.containers.map((x) => ({ image: x.image, cause: x.verdict.cause })),
      },
      'why pod',
    );
    if (live && c !== undefined && triage.node !== null) {
      states.set(requestId, {
        cluster: s.cluster,
        image: c.image,
        selection: { node: triage.node },
        channel: t.channel,
        threadTs: t.threadTs ?? ts,
        nodes: [],
        at: Date.now(),
      });
    }
  }

  async function runCommand(t: Target, c: Command, files: SharedFile[] | undefined, s: Scope): Promise<void> {
    switch (c.kind) {
      case 'help':
        return t.info(helpMessage(s.cluster, s.liveChecker !== undefined));
      case 'status':
        if (s.poolStatus === undefined)
          return t.ephemeral(
            errorMessage(
              s.cluster,
              'status needs a cluster: this bot runs offline (policies from files), live checks are off',
            ),
          );
        {
          const lines = await s.poolStatus();
          return t.info(
            noteMessage(
              s.cluster,
              lines.map((l) => `${l.upToDate ? '✓' : '…'} pool ${l.pool}: ${l.detail}`).join('\n') || 'no pools',
            ),
          );
        }
      case 'policies': {
        const list = s.listPolicies === undefined ? [] : await s.listPolicies(c.filter);
        return t.info(policiesMessage(s.cluster, c.filter, list));
      }
      case 'plan':
      case 'why':
      case 'fix':
        return explainAndCheck(t, c, s);
      case 'what-if':
        return whatIfAnswer(
          {
            cluster: s.cluster,
            config,
            deps: { ...deps, ...s },
            post,
            upload,
            ephemeral: t.ephemeral,
            channel: t.channel,
            threadTs: t.threadTs,
            user: t.user,
            engine: whatIfEngine,
            outside: (p) => slots.outside(p),
          },
          c,
          files ?? [],
        );
      case 'why-pod':
        return answerWhyPod(t, c.namespace, c.name, s);
    }
  }

  async function liveDecision(
    t: Target,
    c: Command & { kind: 'why' | 'plan' | 'fix' },
    s: Scope,
  ): Promise<{ live: boolean; note: string }> {
    if (c.kind === 'plan') return { live: false, note: 'plan only' };
    if (c.kind === 'fix') return { live: false, note: 'plan and fix, checked by the engine' };
    if (!c.live) return { live: false, note: 'live check skipped (--no-live)' };
    if (s.liveChecker === undefined)
      return { live: false, note: 'live checks are off: no cluster (offline mode, plan from policy files)' };
    let allowed: boolean;
    try {
      allowed = await liveAccess.mayRunLive(t.user);
    } catch (e) {
      logger.warn({ err: errorText(e, ERROR_CHARS) }, 'user-group lookup failed');
      return { live: false, note: 'live check skipped: could not resolve your user groups, plan only' };
    }
    if (!allowed)
      return {
        live: false,
        note: 'live checks are limited to the users and groups in ICSP_LIVE_USERS; here is the plan',
      };
    return { live: true, note: `live check on ${selectionText(c.selection)} follows in the thread` };
  }

  async function explainAndCheck(t: Target, c: Command & { kind: 'why' | 'plan' | 'fix' }, s: Scope): Promise<void> {
    let held: WhyPlan;
    try {
      held = await planWhy(s.policySource, c.image);
    } catch (e) {
      logger.error({ err: errorText(e, ERROR_CHARS) }, 'policies could not be read');
      return t.ephemeral(errorMessage(s.cluster, `cannot read the policies: ${userFacing(e)}`));
    }
    try {
      await answerWhy(t, c, s, held);
    } finally {
      held.release();
    }
  }

  /** The anchor and the plan from `held`; the live check (when allowed) compares the nodes with the same plan. */
  async function answerWhy(
    t: Target,
    c: Command & { kind: 'why' | 'plan' | 'fix' },
    s: Scope,
    held: WhyPlan,
  ): Promise<void> {
    const plan = held.explanation;
    const decision = await liveDecision(t, c, s);
    const anchor = anchorMessage({
      cluster: s.cluster,
      image: c.image,
      requester: t.user,
      explanation: plan,
      note: decision.note,
    });
    const planMsg = planMessage(s.cluster, plan);
    const opened = await openThread(t, anchor);
    if ('notInChannel' in opened) {
      await t.ephemeral(anchor);
      await t.ephemeral(planMsg);
      return t.ephemeral(
        errorMessage(
          s.cluster,
          `I am not in this channel, so I cannot open a thread or run live checks ` +
            `here: invite me with /invite @icsp-bot (${opened.notInChannel})`,
        ),
      );
    }
    const threadTs = opened.threadTs;
    await post(t.channel, threadTs, planMsg);
    if (planMsg.truncated)
      await upload(t.channel, threadTs, [
        { filename: 'plan.txt', title: `Pull plan for ${c.image}`, content: formatExplanation(plan) },
      ]);
    if (c.kind === 'fix')
      await fixAnswer(
        { cluster: s.cluster, deps: { ...deps, ...s }, post, upload, logger },
        c.image,
        plan,
        threadTs,
        t.channel,
        c.mirror,
      );
    if (decision.live && c.kind === 'why') await runLive(t, c.image, c.selection, threadTs, s, held);
  }

  async function runLive(
    t: Target,
    image: string,
    selection: NodeSelection,
    threadTs: string,
    s: Scope,
    held: WhyPlan,
  ): Promise<void> {
    const checker = s.liveChecker;
    if (checker === undefined) return;
    const reference = held.reference;
    if (reference === undefined) return;
    // Checks of the same image, nodes and policy generation share one run (and so one plan).
    const key = JSON.stringify([s.cluster, image, selection, held.generation]);
    const started = Date.now();
    const { promise, shared } = inflight.run(key, () =>
      gate.run(() =>
        checker.check(
          liveCheckRequest(held, reference, selection, t.user),
          AbortSignal.timeout(config.liveCheckTimeoutMs),
        ),
      ),
    );
    let result: LiveCheckResult;
    try {
      result = await slots.outside(promise);
    } catch (e) {
      const line = userFacing(e);
      audit.info(
        {
          who: t.user,
          what: { image, selection },
          where: { channel: t.channel, threadTs },
          shared,
          result: { error: line },
          durationMs: Date.now() - started,
        },
        'live check',
      );
      const busy = e instanceof BusyError;
      await post(
        t.channel,
        threadTs,
        noteMessage(s.cluster, `${busy ? 'Live check not started' : 'Live check failed'}: ${line}`),
      );
      return t.ephemeral(errorMessage(s.cluster, `live check on ${selectionText(selection)} failed: ${line}`));
    }
    const durationMs = Date.now() - started;
    audit.info(
      {
        who: t.user,
        what: { image, selection },
        where: { channel: t.channel, threadTs },
        shared,
        result: result.nodes.map((n) => ({ node: n.node, verdict: n.verdict.code, error: n.error })),
        durationMs,
      },
      'live check',
    );
    const requestId = `r${++seq}-${Date.now().toString(36)}`;
    const now = Date.now();
    states.set(requestId, {
      cluster: s.cluster,
      image,
      selection,
      channel: t.channel,
      threadTs,
      nodes: result.nodes.map((n) => ({ node: n.node, configDifferences: n.configDifferences })),
      at: now,
    });
    // Oldest first (insertion order): drop the expired, and the oldest beyond the cap.
    for (const [id, st] of states) {
      if (states.size <= STATE_MAX && now - st.at <= STATE_TTL_MS) break;
      states.delete(id);
    }
    const pool = 'pool' in selection ? selection.pool : undefined;
    const msg = liveMessage(
      result,
      { requestId, pool, hasDifferences: result.nodes.some((n) => n.configDifferences.length > 0) },
      durationMs,
    );
    await post(t.channel, threadTs, msg);
    const files: UploadFile[] = [];
    for (const n of result.nodes) {
      files.push({
        filename: `${safeFileName(n.node)}-podman-debug.log`,
        title: `podman pull --log-level debug on ${n.node}`,
        content: n.log,
      });
      if (n.nodeRegistriesConf !== null)
        files.push({
          filename: `${safeFileName(n.node)}-registries.conf`,
          title: `/etc/containers/registries.conf on ${n.node}`,
          content: n.nodeRegistriesConf,
        });
    }
    if (msg.truncated)
      files.push({
        filename: 'live-check.json',
        title: 'The full live check result',
        content: JSON.stringify(result, null, 2),
      });
    await upload(t.channel, threadTs, files);
  }

  // ---- listeners -------------------------------------------------------------------------------------------

  app.command(SLASH_COMMAND, async ({ ack, command, respond }) => {
    // Socket Mode bypasses the HTTP front door: the same shape check here.
    const shape = checkPayload(command);
    if (!shape.ok) {
      logger.warn({ error: shape.error }, 'malformed slash command refused');
      return ack(`icsp-bot could not read this command: ${shape.error}.`);
    }
    await ack();
    const cmd = command as unknown as SlashCommandPayload;
    const t: Target = {
      channel: cmd.channel_id,
      user: cmd.user_id,
      threadTs: undefined,
      ephemeral: (m) => respondWith(respond, m),
      info: (m) => respondWith(respond, m),
      origin: 'command',
    };
    background(`command ${quoteInput(cmd.text, 40)}`, () => guarded(t, () => handleText(t, cmd.text)));
  });

  app.event('app_mention', async ({ event, body }) => {
    const ev = event as unknown as AppMentionPayload;
    const shape = checkPayload(body);
    if (!shape.ok) return void logger.warn({ error: shape.error }, 'malformed app_mention dropped');
    if (ev.user === undefined) return;
    const user = ev.user;
    const threadTs = ev.thread_ts ?? ev.ts;
    const t: Target = {
      channel: ev.channel,
      user,
      threadTs,
      ephemeral: (m) => postEphemeral(ev.channel, user, threadTs, m),
      info: async (m) => {
        await post(ev.channel, threadTs, m);
      },
      origin: 'mention',
    };
    background('mention', () => guarded(t, () => handleText(t, ev.text, ev.files)));
  });

  app.action(
    new RegExp(`^(${[...OUR_ACTIONS].join('|')})$`),
    async ({
      ack,
      body,
      respond,
    }: AllMiddlewareArgs & { ack: () => Promise<void>; body: unknown; respond: RespondFn }) => {
      await ack();
      const shape = checkPayload(body);
      if (!shape.ok) return void logger.warn({ error: shape.error }, 'malformed block action dropped');
      const b = body as BlockActionPayload;
      const action = b.actions[0];
      const channel = b.channel?.id ?? b.container?.channel_id;
      if (action === undefined || channel === undefined) return;
      const user = b.user.id;
      const dedupeKey =
        `action:${b.container?.message_ts ?? ''}:${action.action_id}:${user}:` +
        `${(action as { action_ts?: string }).action_ts ?? ''}`;
      if (!firstSeen(dedupeKey)) return;
      const threadTs = b.container?.thread_ts ?? b.message?.thread_ts ?? b.message?.ts;
      const t: Target = {
        channel,
        user,
        threadTs,
        ephemeral: (m) =>
          b.response_url !== undefined ? respondWith(respond, m) : postEphemeral(channel, user, threadTs, m),
        info: async (m) => {
          await post(channel, threadTs, m);
        },
        origin: 'action',
      };
      background(`action ${action.action_id}`, () => guarded(t, () => handleAction(t, b, action)));
    },
  );

  async function handleAction(
    t: Target,
    b: BlockActionPayload,
    action: BlockActionPayload['actions'][number],
  ): Promise<void> {
    const requestId =
      action.action_id === ACTIONS.runNode
        ? (b as unknown as { actions: Array<{ block_id?: string }> }).actions[0]?.block_id?.split(':')[1]
        : action.value;
    const state = requestId === undefined ? undefined : states.get(requestId);
    if (state === undefined || Date.now() - state.at > STATE_TTL_MS)
      return t.ephemeral(
        errorMessage(
          cluster,
          'this answer has expired (the bot restarted or it is older than a day); ask again with /icsp why IMAGE',
        ),
      );
    if (!channelAllowed(config.allowedChannels, t.channel))
      return t.ephemeral(errorMessage(cluster, 'icsp-bot does not answer in this channel'));
    if (action.action_id === ACTIONS.showDiff) {
      const wait = limiter.take(t.user);
      if (wait > 0)
        return t.ephemeral(
          errorMessage(cluster, `rate limit: too many requests, try again in ${Math.ceil(wait / 1000)} s`),
        );
      for (const n of state.nodes)
        if (n.configDifferences.length > 0)
          await post(state.channel, state.threadTs, diffMessage(state.cluster, n.node, n.configDifferences));
      return;
    }
    const wait = limiter.take(t.user);
    if (wait > 0)
      return t.ephemeral(
        errorMessage(cluster, `rate limit: too many requests, try again in ${Math.ceil(wait / 1000)} s`),
      );
    let s: Scope;
    try {
      s = await scopeOf(state.cluster);
    } catch (e) {
      return t.ephemeral(errorMessage(state.cluster, errorText(e, ERROR_CHARS)));
    }
    if (s.liveChecker === undefined) return t.ephemeral(errorMessage(cluster, 'live checks are off: no cluster'));
    if (!(await liveAccess.mayRunLive(t.user)))
      return t.ephemeral(errorMessage(cluster, 'live checks are limited to the users and groups in ICSP_LIVE_USERS'));
    let selection: NodeSelection;
    if (action.action_id === ACTIONS.runPool) {
      selection = 'pool' in state.selection ? { pool: state.selection.pool } : { nodes: 'all' };
    } else if (action.action_id === TRIAGE_ACTIONS.live) {
      selection = state.selection;
    } else {
      const parsed = parseCommand(`why ${state.image} node=${(action.value ?? '').trim()}`);
      if (!parsed.ok || parsed.command.kind !== 'why')
        return t.ephemeral(errorMessage(cluster, parsed.ok ? 'bad node name' : parsed.error));
      selection = parsed.command.selection;
    }
    await post(
      state.channel,
      state.threadTs,
      noteMessage(s.cluster, `Live check of ${state.image} on ${selectionText(selection)}, asked by <@${t.user}>…`),
    );
    // A button asks again: the plan of the current generation, as a new /icsp why would show.
    const held = await planWhy(s.policySource, state.image);
    try {
      await runLive(
        { ...t, channel: state.channel, threadTs: state.threadTs },
        state.image,
        selection,
        state.threadTs,
        s,
        held,
      );
    } finally {
      held.release();
    }
  }

  /** Last line of defence of a request: log, and tell the user in one line. */
  async function guarded(t: Target, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (e) {
      logger.error(
        {
          err: errorText(e, ERROR_CHARS),
          slackError: slackErrorCode(e),
          channel: t.channel,
          user: t.user,
          origin: t.origin,
        },
        'request failed',
      );
      try {
        await t.ephemeral(errorMessage(cluster, `something went wrong: ${slackErrorCode(e) ?? userFacing(e)}`));
      } catch (e2) {
        logger.error({ err: errorText(e2, ERROR_CHARS) }, 'could not report the failure to the user');
      }
    }
  }

  app.error(async (e) => {
    logger.error({ err: errorText(e, ERROR_CHARS) }, 'bolt error');
  });

  let up = false;
  const shared = (): string | undefined =>
    helloConnections > 1
      ? `Slack reports ${helloConnections} open Socket Mode connections of this app: another bot answers too`
      : undefined;
  return {
    app,
    connected: () => up,
    sharedConnectionWarning: shared,
    async start() {
      const r = (
        config.mode === 'http' ? await app.start({ port: config.port, host: config.host }) : await app.start()
      ) as unknown;
      up = true;
      if (socketClient !== undefined) {
        // The Socket Mode client reports the WebSocket's state.
        socketClient.on('connected', () => (up = true));
        socketClient.on('disconnected', () => (up = false));
        socketClient.on('reconnecting', () => (up = false));
        const why = shared();
        if (why !== undefined && deps.allowSharedApp !== true) {
          up = false;
          await app.stop();
          throw new Error(
            `${why}; one Slack app must not be shared by several bots in Socket Mode (Slack delivers each ` +
              `event to one connection at random): use one Slack app per cluster, or HTTP mode behind one route, ` +
              `or one bot for the fleet (ICSP_KUBECONFIGS); ICSP_ALLOW_SHARED_SLACK_APP=true starts anyway`,
          );
        }
      }
      if (config.mode === 'http') {
        const addr = (r as Server).address();
        return { port: typeof addr === 'object' && addr !== null ? addr.port : config.port };
      }
      return {};
    },
    async stop() {
      up = false;
      await app.stop();
      await Promise.allSettled([...tasks]);
      await whatIfEngine.close();
    },
    async idle() {
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
    },
  };
}
