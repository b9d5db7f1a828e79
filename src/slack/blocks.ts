// Block Kit messages of the bot, built from the engine's Explanation and a LiveCheckResult. Pure. Every message
// names the cluster, sets the fallback `text`, and passes fitMessage: at most 50 blocks, 3,000 characters per
// section text, about 12,000 in all; whatever does not fit is flagged so the caller uploads it as a file.
import { formatExplanation } from '../domain/explain-report.ts';
import type { Explanation, VerdictCode } from '../domain/explain.ts';
import type {
  ConfigDifference,
  LiveCheckResult,
  LiveVerdictCode,
  NodeCheckResult,
  NodeSelection,
} from '../ports/live-check.ts';
import type { Block, ButtonElement, SlackMessage, TextObject } from '../types/slack.ts';
import { USAGE, USAGE_LINE } from './command-parser.ts';

export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  totalChars: 12_000,
  fallbackText: 3000,
  buttonText: 75,
} as const;

export const ACTIONS = {
  runNode: 'icsp_run_node',
  runPool: 'icsp_run_pool',
  showDiff: 'icsp_show_diff',
} as const;

export interface FittedMessage extends SlackMessage {
  /** True when something was cut: the caller attaches the full text as a file. */
  truncated: boolean;
}

/** Slack's three control characters in mrkdwn (and code blocks): user input can never form a mention or a link. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const md = (text: string): TextObject => ({ type: 'mrkdwn', text });
const section = (text: string, block_id?: string): Block =>
  block_id === undefined ? { type: 'section', text: md(text) } : { type: 'section', block_id, text: md(text) };
const context = (text: string): Block => ({ type: 'context', elements: [md(text)] });

function clip(s: string, max: number, marker = '…'): string {
  return s.length <= max ? s : s.slice(0, Math.max(0, max - marker.length)) + marker;
}

/** Plain text as code-block sections of at most ~2,900 characters each, split on line boundaries. */
export function codeSections(text: string, maxChunk = 2900): Block[] {
  const chunks: string[] = [];
  let cur = '';
  const inner = maxChunk - 8;
  for (const raw of text.replace(/\n+$/, '').split('\n')) {
    let line = esc(raw);
    while (line.length > inner) {
      if (cur.length > 0) chunks.push(cur);
      chunks.push(line.slice(0, inner));
      cur = '';
      line = line.slice(inner);
    }
    if (cur.length + line.length + 1 > inner && cur.length > 0) {
      chunks.push(cur);
      cur = '';
    }
    cur = cur.length === 0 ? line : `${cur}\n${line}`;
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks.map((c) => section('```' + c + '```'));
}

function blockChars(b: Block): number {
  switch (b.type) {
    case 'section':
    case 'header':
      return b.text.text.length;
    case 'context':
      return b.elements.reduce((n, e) => n + e.text.length, 0);
    case 'actions':
      return b.elements.reduce((n, e) => n + e.text.text.length + e.value.length, 0);
    case 'input':
      return b.label.text.length + (b.element.placeholder?.text.length ?? 0);
    case 'divider':
      return 0;
  }
}

export function messageChars(m: SlackMessage): number {
  return m.blocks.reduce((n, b) => n + blockChars(b), 0);
}

function clipSection(b: Block, max: number): Block {
  if (b.type !== 'section' || b.text.text.length <= max) return b;
  const t = b.text.text;
  const note = '\n… (cut; the full text is in the attached file)';
  const isCode = t.startsWith('```') && t.endsWith('```');
  const body = isCode ? t.slice(0, max - note.length - 3) + '```' : t.slice(0, max - note.length);
  return { ...b, text: { ...b.text, text: body + note } };
}

/** Enforces the Block Kit budget: clips sections, then drops trailing content blocks, keeping the essentials. */
export function fitMessage(m: SlackMessage): FittedMessage {
  let truncated = false;
  let blocks = m.blocks.map((b) => {
    const c = clipSection(b, LIMITS.sectionText);
    if (c !== b) truncated = true;
    return c;
  });
  // Kept whatever happens: the first block (the verdict), buttons and inputs, and the last (the cluster line).
  const essential = (b: Block, i: number): boolean =>
    i === 0 || i === blocks.length - 1 || b.type === 'actions' || b.type === 'input';
  const reservedChars = blocks.reduce((n, b, i) => n + (essential(b, i) ? blockChars(b) : 0), 0) + 100;
  const reservedBlocks = blocks.filter(essential).length + 1;
  let chars = reservedChars;
  let count = reservedBlocks;
  const kept: Block[] = [];
  let dropped = 0;
  blocks.forEach((b, i) => {
    if (essential(b, i)) {
      kept.push(b);
      return;
    }
    const len = blockChars(b);
    if (dropped === 0 && count < LIMITS.blocks && chars + len <= LIMITS.totalChars) {
      kept.push(b);
      chars += len;
      count += 1;
    } else if (dropped === 0 && count < LIMITS.blocks && LIMITS.totalChars - chars > 300) {
      kept.push(clipSection(b, LIMITS.totalChars - chars));
      chars = LIMITS.totalChars;
      count += 1;
      dropped += 1;
    } else {
      dropped += 1;
    }
  });
  if (dropped > 0) {
    truncated = true;
    const firstNonSection = kept.findIndex(
      (b, i) => i > 0 && (b.type === 'actions' || b.type === 'input' || i === kept.length - 1),
    );
    const note = context(':page_facing_up: The message was too long for Slack; the full text is in the attached file.');
    if (firstNonSection < 0) kept.push(note);
    else kept.splice(firstNonSection, 0, note);
  }
  blocks = kept;
  return { text: clip(m.text, LIMITS.fallbackText), blocks, truncated };
}

function clusterLine(cluster: string, extra?: string): string {
  return `:globe_with_meridians: cluster *${esc(cluster)}*${extra === undefined ? '' : ` · ${extra}`}`;
}

const VERDICT_EMOJI: Record<VerdictCode | LiveVerdictCode, string> = {
  'mirror-first': ':white_check_mark:',
  'tag-pull-skips-digest-mirrors': ':warning:',
  'digest-pull-skips-tag-mirrors': ':warning:',
  shadowed: ':warning:',
  'source-only': ':information_source:',
  'no-mirror-configured': ':information_source:',
  'all-blocked': ':no_entry:',
  'rejected-by-policy': ':no_entry_sign:',
  'pull-error': ':x:',
  'short-name-ambiguous': ':x:',
  'short-name-search': ':mag:',
  'mirror-hit': ':white_check_mark:',
  'source-fallback': ':warning:',
  'plan-mismatch': ':warning:',
  'all-failed': ':x:',
  'no-attempts': ':grey_question:',
  'rate-limited': ':hourglass:',
  'check-failed': ':x:',
};

export function selectionText(s: NodeSelection): string {
  if ('node' in s) return `node ${s.node}`;
  if ('pool' in s) return `every node of pool ${s.pool}`;
  if ('nodes' in s) return s.nodes === 'all' ? 'every node' : `${s.nodes} node(s)`;
  return 'the default node';
}

/** The anchor: the plan's verdict; its thread carries the details and the live evidence. */
export function anchorMessage(a: {
  cluster: string;
  image: string;
  requester: string;
  explanation: Explanation;
  note: string;
}): FittedMessage {
  const e = a.explanation;
  const emoji = VERDICT_EMOJI[e.verdict.code];
  return fitMessage({
    text: `[${a.cluster}] ${a.image}: ${e.verdict.summary}`,
    blocks: [
      section(`${emoji} *${esc(a.image)}* — \`${e.verdict.code}\`\n${esc(e.verdict.summary)}`, 'icsp_anchor'),
      context(clusterLine(a.cluster, `asked by <@${a.requester}> · ${esc(a.note)}`)),
    ],
  });
}

/** The plan in full (the CLI's text report), for the thread. */
export function planMessage(cluster: string, e: Explanation, note?: string): FittedMessage {
  const blocks: Block[] = [
    section(`*Pull plan* for \`${esc(e.normalizedReference ?? e.input)}\` — \`${e.verdict.code}\``),
    ...codeSections(formatExplanation(e)),
  ];
  blocks.push(context(clusterLine(cluster, note === undefined ? undefined : esc(note))));
  return fitMessage({ text: `[${cluster}] plan for ${e.input}: ${e.verdict.summary}`, blocks });
}

function nodeSection(n: NodeCheckResult): Block[] {
  const emoji = VERDICT_EMOJI[n.verdict.code];
  const lines = [
    `${emoji} *${esc(n.node)}* — \`${n.verdict.code}\` (${(n.durationMs / 1000).toFixed(1)} s)`,
    esc(n.verdict.summary),
  ];
  if (n.error !== undefined) lines.push(`:x: ${esc(n.error)}`);
  for (const r of n.verdict.reasons) lines.push(`• ${esc(r)}`);
  const out: Block[] = [section(lines.join('\n'))];
  const ev = n.evidence;
  if (ev !== null && ev.attempts.length > 0) {
    const at = ev.attempts.map(
      (t, i) =>
        `${i + 1}. ${t.mirror ? 'mirror' : 'source'} \`${esc(t.location)}\` → ` +
        `*${t.outcome}*${t.detail ? `: ${esc(t.detail)}` : ''}`,
    );
    if (ev.served !== null)
      at.push(`Served by \`${esc(ev.served.reference)}\`${ev.served.digest ? ` (${esc(ev.served.digest)})` : ''}`);
    if (ev.finalError !== null) at.push(`Final error: ${esc(ev.finalError)}`);
    out.push(section(`*What the node tried* (podman debug log):\n${at.join('\n')}`));
  }
  if (n.configDifferences.length > 0) {
    out.push(
      section(
        `:mag: ${n.configDifferences.length} difference(s) between the node's registries.conf and ` +
          `the render of the live policies — press *Show registries.conf difference*.`,
      ),
    );
  }
  return out;
}

export interface LiveButtons {
  requestId: string;
  /** The pool to offer "every node of the pool" for; undefined = offer every node. */
  pool: string | undefined;
  hasDifferences: boolean;
}

/** The live evidence and verdict per node, with the follow-up buttons. */
export function liveMessage(r: LiveCheckResult, buttons: LiveButtons | undefined, durationMs?: number): FittedMessage {
  const blocks: Block[] = [
    section(`*Live check* of \`${esc(r.plan.normalizedReference ?? r.plan.input)}\` on ${r.nodes.length} node(s)`),
  ];
  for (const n of r.nodes) blocks.push(...nodeSection(n), { type: 'divider' });
  if (buttons !== undefined) {
    const elements: ButtonElement[] = [
      {
        type: 'button',
        action_id: ACTIONS.runPool,
        text: {
          type: 'plain_text',
          text:
            buttons.pool === undefined
              ? 'Run on every node'
              : clip(`Run on every node of pool ${buttons.pool}`, LIMITS.buttonText),
        },
        value: buttons.requestId,
      },
    ];
    if (buttons.hasDifferences)
      elements.push({
        type: 'button',
        action_id: ACTIONS.showDiff,
        text: { type: 'plain_text', text: 'Show registries.conf difference' },
        value: buttons.requestId,
      });
    blocks.push({ type: 'actions', block_id: 'icsp_live_actions', elements });
    blocks.push({
      type: 'input',
      block_id: `icsp_node_input:${buttons.requestId}`,
      dispatch_action: true,
      label: { type: 'plain_text', text: 'Run on another node' },
      element: {
        type: 'plain_text_input',
        action_id: ACTIONS.runNode,
        placeholder: { type: 'plain_text', text: 'node name, then Enter' },
        dispatch_action_config: { trigger_actions_on: ['on_enter_pressed'] },
      },
    });
  }
  blocks.push(
    context(
      clusterLine(r.cluster, durationMs === undefined ? undefined : `live check ${(durationMs / 1000).toFixed(1)} s`),
    ),
  );
  const summary = r.nodes.map((n) => `${n.node}: ${n.verdict.code}`).join(', ');
  return fitMessage({ text: `[${r.cluster}] live check of ${r.plan.input}: ${summary}`, blocks });
}

export function diffMessage(cluster: string, node: string, diffs: ConfigDifference[]): FittedMessage {
  const lines = diffs.map((d) => `• \`${d.kind}\` ${esc(d.source)}: ${esc(d.message)}`);
  return fitMessage({
    text: `[${cluster}] ${node}: ${diffs.length} registries.conf difference(s)`,
    blocks: [
      section(
        `*${esc(node)}*: the node's registries.conf vs the render of the live policies (${diffs.length} difference(s))`,
      ),
      ...(diffs.length === 0 ? [section('No difference.')] : [section(lines.join('\n'))]),
      context(clusterLine(cluster)),
    ],
  });
}

/** An ephemeral one-line error with the usage. */
export function errorMessage(cluster: string, line: string): FittedMessage {
  return fitMessage({
    text: `icsp: ${line}`,
    blocks: [section(`:warning: ${esc(line)}`), context(`${esc(USAGE_LINE)} · cluster *${esc(cluster)}*`)],
  });
}

export function noteMessage(cluster: string, line: string): FittedMessage {
  return fitMessage({ text: `[${cluster}] ${line}`, blocks: [section(esc(line)), context(clusterLine(cluster))] });
}

export function helpMessage(cluster: string, liveOn: boolean): FittedMessage {
  return fitMessage({
    text: `icsp-bot: ${USAGE_LINE}`,
    blocks: [
      section(
        `*icsp-bot* tells you why a node pulls an image from where it does (ICSP / IDMS / ITMS mirrors).\n${USAGE}`,
      ),
      context(clusterLine(cluster, liveOn ? 'live checks on' : 'live checks off')),
    ],
  });
}

export interface PolicyLine {
  kind: string;
  name: string;
  rules: Array<{ source: string; mirrors: string[]; policy?: string }>;
}

export function policiesMessage(cluster: string, filter: string | null, policies: PolicyLine[]): FittedMessage {
  const head = section(
    `*Mirror policies*${filter === null ? '' : ` matching \`${esc(filter)}\``}: ${policies.length} object(s)`,
  );
  const body = policies.map((p) => {
    const rules = p.rules.map(
      (r) => `    ${r.source} → ${r.mirrors.join(', ') || '(no mirrors)'}${r.policy ? ` [${r.policy}]` : ''}`,
    );
    return [`${p.kind}/${p.name}`, ...rules].join('\n');
  });
  const blocks = [
    head,
    ...(body.length === 0 ? [section('None.')] : codeSections(body.join('\n'))),
    context(clusterLine(cluster)),
  ];
  return fitMessage({ text: `[${cluster}] ${policies.length} mirror policies`, blocks });
}
