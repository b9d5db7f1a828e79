// Signed Slack requests for the HTTP receiver, payload fixtures, and a fake implementation of OUR LiveChecker port.
import { createHmac } from 'node:crypto';
import type { Explanation } from '../../../src/domain/explain.ts';
import type {
  LiveChecker,
  LiveCheckRequest,
  LiveCheckResult,
  NodeCheckResult,
  PolicySource,
} from '../../../src/ports/live-check.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-1111-2222-testbottoken';
export const APP_TOKEN = 'xapp-1-A0001-3333-testapptoken';

export function sign(
  body: string,
  secret = SIGNING_SECRET,
  ts = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const sig = 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');
  return { 'x-slack-signature': sig, 'x-slack-request-timestamp': String(ts) };
}

export async function postSigned(
  port: number,
  body: string,
  contentType: string,
  extra: Record<string, string> = {},
  secret = SIGNING_SECRET,
): Promise<{ status: number; text: string; ms: number }> {
  const started = performance.now();
  const r = await fetch(`http://127.0.0.1:${port}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...sign(body, secret), ...extra },
    body,
  });
  const text = await r.text();
  return { status: r.status, text, ms: performance.now() - started };
}

export function commandForm(p: {
  text: string;
  user?: string;
  channel?: string;
  responseUrl: string;
  trigger?: string;
}): string {
  return new URLSearchParams({
    token: 'legacy',
    team_id: 'T0001',
    team_domain: 'example',
    channel_id: p.channel ?? 'C0001',
    channel_name: 'ops',
    user_id: p.user ?? 'U0001',
    user_name: 'alice',
    command: '/icsp',
    text: p.text,
    api_app_id: 'A0001',
    response_url: p.responseUrl,
    trigger_id: p.trigger ?? `trig-${Math.random()}`,
  }).toString();
}

export function commandPayload(p: {
  text: string;
  user?: string;
  channel?: string;
  responseUrl: string;
}): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(commandForm(p)));
}

export function mentionEvent(p: {
  text: string;
  user?: string;
  channel?: string;
  ts?: string;
  threadTs?: string;
  eventId?: string;
}): Record<string, unknown> {
  return {
    token: 'legacy',
    team_id: 'T0001',
    api_app_id: 'A0001',
    type: 'event_callback',
    event_id: p.eventId ?? `Ev${Math.random().toString(36).slice(2)}`,
    event_time: 1,
    authorizations: [{ team_id: 'T0001', user_id: 'UBOT0001', is_bot: true }],
    event: {
      type: 'app_mention',
      user: p.user ?? 'U0001',
      text: p.text,
      channel: p.channel ?? 'C0001',
      ts: p.ts ?? '1700000000.000100',
      event_ts: p.ts ?? '1700000000.000100',
      ...(p.threadTs ? { thread_ts: p.threadTs } : {}),
    },
  };
}

export function blockAction(p: {
  actionId: string;
  value: string;
  blockId?: string;
  user?: string;
  channel?: string;
  threadTs: string;
  messageTs: string;
  responseUrl: string;
}): Record<string, unknown> {
  return {
    type: 'block_actions',
    team: { id: 'T0001' },
    user: { id: p.user ?? 'U0001' },
    api_app_id: 'A0001',
    token: 'legacy',
    trigger_id: 'trig',
    container: {
      type: 'message',
      message_ts: p.messageTs,
      channel_id: p.channel ?? 'C0001',
      is_ephemeral: false,
      thread_ts: p.threadTs,
    },
    channel: { id: p.channel ?? 'C0001', name: 'ops' },
    message: { ts: p.messageTs, thread_ts: p.threadTs, text: 'x' },
    response_url: p.responseUrl,
    actions: [
      {
        action_id: p.actionId,
        block_id: p.blockId ?? 'icsp_live_actions',
        value: p.value,
        type: p.actionId === 'icsp_run_node' ? 'plain_text_input' : 'button',
        action_ts: String(Math.random()),
      },
    ],
  };
}

export function nodeResult(node: string, over: Partial<NodeCheckResult> = {}): NodeCheckResult {
  return {
    node,
    verdict: {
      code: 'mirror-hit',
      summary: 'the node pulled from the mirror, as planned',
      reasons: ['mirror nexus.example/repo served the manifest'],
    },
    evidence: null,
    log: `time="..." level=debug msg="Trying to access \\"nexus.example/repo/x:1\\"" node=${node}\n`,
    nodeRegistriesConf: `[[registry]]\nprefix = ""\nlocation = "imagestore.co/repo"\n# ${node}\n`,
    configDifferences: [
      {
        source: 'imagestore.co/repo',
        kind: 'missing-mirror',
        message: 'mirror nexus.example/repo is rendered but missing on the node',
      },
    ],
    durationMs: 1200,
    ...over,
  };
}

export class FakeLiveChecker implements LiveChecker {
  /** What was asked (image, nodes, who); the plan each request carried is in `plans`. */
  readonly requests: Array<Pick<LiveCheckRequest, 'image' | 'selection' | 'requestedBy'>> = [];
  readonly plans: Array<LiveCheckRequest['plan']> = [];
  delayMs = 0;
  active = 0;
  maxActive = 0;
  failWith: string | undefined;
  private readonly source: PolicySource;

  constructor(source: PolicySource) {
    this.source = source;
  }

  async check(req: LiveCheckRequest): Promise<LiveCheckResult> {
    this.requests.push({ image: req.image, selection: req.selection, requestedBy: req.requestedBy });
    this.plans.push(req.plan);
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      if (this.failWith !== undefined) throw new Error(this.failWith);
      // As the cluster checker does: the requester's plan when it brings one.
      const plan: Explanation = req.plan?.explanation ?? (await this.source.explain(req.image));
      const nodes =
        'node' in req.selection
          ? [req.selection.node]
          : 'pool' in req.selection
            ? [`${req.selection.pool}-0`, `${req.selection.pool}-1`]
            : ['worker-0'];
      return { cluster: 'test-cluster', plan, nodes: nodes.map((n) => nodeResult(n)) };
    } finally {
      this.active -= 1;
    }
  }
}
