// Block Kit for triage answers (`why pod`, a pasted event) and triage-channel notices. Pure. One section per
// image that cannot pull: the cause and headline, the fix, what the node said; a live-check button only when the
// asker may run live checks (the click is authorized again server-side).
import type { PodTriage } from '../domain/triage/pod-triage.ts';
import type { TriageVerdict } from '../domain/triage/triage-verdict.ts';
import type { Block, ButtonElement } from '../types/slack.ts';
import { esc, fitMessage } from './blocks.ts';
import type { FittedMessage } from './blocks.ts';

export const TRIAGE_ACTIONS = { live: 'icsp_triage_live' } as const;

const CAUSE_EMOJI: Record<string, string> = {
  'not-mirrored': ':package:',
  'mirror-unauthorized': ':key:',
  'mirror-tls': ':lock:',
  'mirror-down': ':electric_plug:',
  'rollout-pending': ':hourglass_flowing_sand:',
  'short-name-ambiguous': ':question:',
  'rejected-by-policy': ':no_entry:',
  'tag-pull-digest-only-mirror': ':label:',
  'source-blocked': ':no_entry_sign:',
};

const md = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text } });
const ctx = (text: string): Block => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });

/** The verdict of one image as mrkdwn lines. */
export function verdictText(v: TriageVerdict, label: string): string {
  const lines = [
    `${CAUSE_EMOJI[v.cause] ?? ':x:'} *${esc(label)}* \`${esc(v.image)}\` — *${v.cause}*`,
    esc(v.headline),
    ...v.fix.map((f) => `• ${esc(f)}`),
  ];
  return lines.join('\n');
}

export function factsText(v: TriageVerdict): string {
  return v.facts.length === 0
    ? ''
    : `\`\`\`${v.facts.map((f) => (f.length > 600 ? `${f.slice(0, 600)}…` : f)).join('\n')}\`\`\``;
}

export interface TriageButtons {
  /** Server-side state id of the live check the button runs. */
  requestId: string;
  node: string;
}

export function podTriageMessage(
  cluster: string,
  t: PodTriage,
  buttons: TriageButtons | null,
  source = 'what the node already said',
): FittedMessage {
  const head =
    `*Pod* \`${esc(t.namespace)}/${esc(t.name)}\` on ` +
    `${t.node === null ? 'no node' : `node \`${esc(t.node)}\``}` +
    `${t.pool !== null ? ` (pool \`${esc(t.pool)}\`)` : ''}: ` +
    (t.containers.length === 0 ? 'no container waits on its image' : `${t.containers.length} container(s) cannot pull`);
  const blocks: Block[] = [md(head)];
  for (const n of t.notes) blocks.push(ctx(`:information_source: ${esc(n)}`));
  for (const c of t.containers) {
    blocks.push(md(verdictText(c.verdict, `${c.init ? 'init container' : 'container'} ${c.container} (${c.reason})`)));
    const facts = factsText(c.verdict);
    if (facts !== '') blocks.push(md(facts));
  }
  if (buttons !== null && t.containers.length > 0) {
    const b: ButtonElement = {
      type: 'button',
      action_id: TRIAGE_ACTIONS.live,
      text: { type: 'plain_text', text: `Run the live check on ${buttons.node}`.slice(0, 75) },
      value: buttons.requestId,
    };
    blocks.push({ type: 'actions', block_id: 'icsp_triage_actions', elements: [b] });
  }
  blocks.push(ctx(`:globe_with_meridians: cluster *${esc(cluster)}* · from ${esc(source)}, no debug pod`));
  const first = t.containers[0]?.verdict;
  return fitMessage({
    text:
      `[${cluster}] ${t.namespace}/${t.name}: ` +
      `${first !== undefined ? `${first.cause}: ${first.headline}` : 'no container waits on its image'}`,
    blocks,
  });
}

/** A pasted event / describe output without a pod the bot can read: the verdict from the text and the policies. */
export function pasteTriageMessage(cluster: string, v: TriageVerdict): FittedMessage {
  const blocks: Block[] = [md(verdictText(v, 'image'))];
  const facts = factsText(v);
  if (facts !== '') blocks.push(md(facts));
  blocks.push(
    ctx(`:globe_with_meridians: cluster *${esc(cluster)}* · from the pasted text and the live policies' plan`),
  );
  return fitMessage({ text: `[${cluster}] ${v.image}: ${v.cause}: ${v.headline}`, blocks });
}
