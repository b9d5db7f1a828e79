// The words of a rollout notice: the header message (what changed, which objects, who, drain forecast, pools
// with updated/total) that is edited in place, and the thread replies (stuck, resolved, done, superseded). Pure.
import type { ChangedObject, ChangeDescription } from './rollout-change.ts';
import type { PoolRollout } from './rollout-state.ts';
import type { Refusal } from './rollout-transition.ts';

export interface NoticeMessage {
  text: string;
  blocks: unknown[];
}

export type NoticePhase = 'rolling-out' | 'stuck' | 'done' | 'superseded';

export interface NoticeInput {
  cluster: string;
  change: ChangeDescription;
  pools: readonly PoolRollout[];
  phase: NoticePhase;
  /** When the notice was first posted (ms since epoch), and when it finished. */
  startedAt: number;
  doneAt?: number;
}

const SECTION_MAX = 2900;
const MAX_CHANGE_LINES = 15;

function clip(s: string, max = SECTION_MAX): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function objectLine(o: ChangedObject): string {
  const who = o.manager !== undefined ? ` by ${o.manager}${o.changedAt !== undefined ? ` at ${o.changedAt}` : ''}` : '';
  return `${o.kind}/${o.name} ${o.action}${who}`;
}

export function poolLine(p: PoolRollout): string {
  const mark =
    p.state === 'done'
      ? '✓'
      : p.state === 'empty'
        ? '–'
        : p.state === 'paused'
          ? '⏸'
          : p.state === 'degraded'
            ? '⚠'
            : '…';
  const what =
    p.state === 'empty'
      ? 'no machines'
      : p.state === 'waiting-render'
        ? `${p.updated}/${p.total} (waiting for a rendered config with the change)`
        : `${p.updated}/${p.total} updated`;
  return (
    `${mark} ${p.pool}: ${what}` + `${p.state === 'paused' ? ' (paused)' : p.state === 'degraded' ? ' (degraded)' : ''}`
  );
}

export function disruptionLine(c: ChangeDescription): string {
  if (c.disruption.drain)
    return (
      `drain expected (${c.disruption.reasons.slice(0, 3).join('; ')}` +
      `${c.disruption.reasons.length > 3 ? '; …' : ''}); reboot not expected per MCO code (CRI-O reload)`
    );
  return 'no drain expected (only safe, additive digest-only changes); reboot not expected per MCO code (CRI-O reload)';
}

const HEAD: Record<NoticePhase, string> = {
  'rolling-out': ':arrows_counterclockwise: Mirror change rolling out',
  stuck: ':warning: Mirror change rolling out, stuck (see thread)',
  done: ':white_check_mark: Mirror change rolled out to every node',
  superseded: ':fast_forward: Mirror change superseded by a newer one',
};

/** The header message, edited in place as the pools progress. */
export function noticeMessage(n: NoticeInput): NoticeMessage {
  const c = n.change;
  const head =
    `${HEAD[n.phase]} on ${n.cluster}` +
    `${n.phase === 'done' && n.doneAt !== undefined ? ` (${formatDuration(n.doneAt - n.startedAt)})` : ''}`;
  const objects =
    c.objects.length > 0
      ? c.objects.map(objectLine).join('; ')
      : 'no object change recorded (the bot found the configuration changed at start)';
  const shown = c.changes.slice(0, MAX_CHANGE_LINES).map((l) => `• ${l}`);
  if (c.changes.length > MAX_CHANGE_LINES) shown.push(`• … and ${c.changes.length - MAX_CHANGE_LINES} more`);
  const warnings: string[] = [];
  if (c.after.error !== null)
    warnings.push(
      `:no_entry: the MCO refuses this configuration: ${c.after.error}. Nothing of it reaches the nodes until fixed.`,
    );
  if (c.after.payloadDropped !== null)
    warnings.push(`:information_source: ${c.after.payloadDropped} (the MCO skips it)`);
  const pools = n.pools.length > 0 ? n.pools.map(poolLine).join('\n') : 'no MachineConfigPools found';
  const body = [
    `*Objects:* ${objects}`,
    `*On the nodes' /etc/containers/registries.conf:*\n${shown.join('\n') || '• (no mirror difference)'}`,
    `*Disruption:* ${disruptionLine(c)}`,
    ...warnings,
    `*Pools:*\n${pools}`,
  ].join('\n');
  const text = clip(`${head}\n${body}`, 3900);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(`*${head}*`, 3000) } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(body) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `change ${c.key}` }] },
    ],
  };
}

const plain = (text: string): NoticeMessage => ({
  text,
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clip(text) } }],
});

export function stuckReply(text: string): NoticeMessage {
  return plain(`:warning: Stuck: ${text}`);
}

export function resolvedReply(text: string): NoticeMessage {
  return plain(`:white_check_mark: Resolved: ${text}`);
}

export function doneReply(pools: readonly PoolRollout[], durationMs: number): NoticeMessage {
  const counted = pools.filter((p) => p.state === 'done').map((p) => `${p.pool} ${p.updated}/${p.total}`);
  return plain(
    `:white_check_mark: Done: the change reached every node` +
      `${counted.length > 0 ? ` (${counted.join(', ')})` : ''} in ${formatDuration(durationMs)}; each ` +
      `pool's rendered config carries it.`,
  );
}

export function supersededReply(): NoticeMessage {
  return plain(
    ':fast_forward: Superseded: a newer mirror change touches the same sources; it is followed in its own message.',
  );
}

/**
 * The one message for a refusal: the MCO writes nothing, so nothing rolls out and the nodes keep the last accepted
 * registries.conf; what the objects asked for is listed as not applied.
 */
export function refusalMessage(cluster: string, r: Refusal, opts: { followedUp?: boolean } = {}): NoticeMessage {
  const head = `:no_entry: The MCO refuses this mirror change on ${cluster}; nodes keep the previous configuration`;
  const changed = r.objects.map(objectLine).join('; ');
  const objects =
    r.seenAtStart === true
      ? `${changed !== '' ? `${changed}; before that ` : ''}not known: the bot started on objects the MCO already ` +
        "refused (what they ask for is measured against the pools' rendered MachineConfig)"
      : changed || 'no object change recorded';
  const asked = r.asked.slice(0, MAX_CHANGE_LINES).map((l) => `• ${l}`);
  if (r.asked.length > MAX_CHANGE_LINES) asked.push(`• … and ${r.asked.length - MAX_CHANGE_LINES} more`);
  const body = [
    `*Refused:* ${r.error}`,
    `*Objects:* ${objects}`,
    `*Asked for, not applied:*\n${asked.join('\n') || '• (no mirror difference)'}`,
    'The machine-config-controller writes no new MachineConfig, so nothing rolls out until the objects are ' +
      'fixed; the error is only in its log (oc logs -n openshift-machine-config-operator ' +
      'deploy/machine-config-controller).',
    ...(opts.followedUp === true
      ? ['_Updated: the objects were changed and are still refused; each change is in the thread._']
      : []),
  ].join('\n');
  return {
    text: clip(`${head}\n${body}`, 3900),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(`*${head}*`, 3000) } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(body) } },
    ],
  };
}

/**
 * In the refusal's thread when the refused objects were changed and the MCO still refuses them: what changed and
 * the reason now (the message itself is edited to the current refusal).
 */
export function refusalChangedReply(f: {
  objects: ChangedObject[];
  error: string;
  sameReason: boolean;
}): NoticeMessage {
  const what = f.objects.length > 0 ? f.objects.map(objectLine).join('; ') : 'the objects';
  return plain(
    clip(
      `:no_entry: Still refused after the change (${what}), ` +
        (f.sameReason ? 'for the same reason' : 'now for a different reason') +
        `: ${f.error}\nThe nodes still keep the previous configuration.`,
      3900,
    ),
  );
}

/** In the refusal's thread once the MCO accepts the objects again. */
export function refusalClearedReply(withChange: boolean): NoticeMessage {
  return plain(
    ':white_check_mark: Resolved: the MCO accepts the mirror objects again; ' +
      (withChange
        ? 'the new configuration rolls out (followed in its own message).'
        : 'they render as the last accepted configuration, so nothing changes on the nodes.'),
  );
}
