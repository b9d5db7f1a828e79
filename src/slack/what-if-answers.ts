// Slack's side of the fix and the what-if: the proposed YAML from a pasted snippet or a file shared with the
// mention (downloaded with the bot token from Slack's file host only, bounded), and the Block Kit answers (the
// fix as a YAML snippet with the command to apply it; the what-if verdict with the full report in the thread).
import type { FixResult } from '../domain/fix.ts';
import { formatDuration } from '../domain/node-disruption.ts';
import type { WhatIfResult } from '../domain/what-if.ts';
import { formatWhatIf } from '../domain/what-if-report.ts';
import type { SlackMessage } from '../types/slack.ts';
import { codeSections, esc, fitMessage } from './blocks.ts';
import type { FittedMessage } from './blocks.ts';

/** Proposed YAML read from Slack at most: a what-if on a whole oc-mirror run fits, a runaway file does not. */
export const MAX_PROPOSED_BYTES = 2 * 1024 * 1024;

export interface SharedFile {
  name?: string;
  size?: number;
  url_private_download?: string;
  url_private?: string;
}

/** Downloads a file shared with the mention: only from Slack's file host (the bot token goes nowhere else). */
export async function downloadSharedFile(
  f: SharedFile,
  token: string,
  allowedHosts: readonly string[],
  signal?: AbortSignal,
): Promise<string> {
  const url = f.url_private_download ?? f.url_private;
  if (url === undefined) throw new Error(`file ${f.name ?? '?'} has no download URL`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`file ${f.name ?? '?'}: not a URL`);
  }
  if (
    !allowedHosts.includes(u.hostname) ||
    (u.protocol !== 'https:' && !(u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost')))
  ) {
    throw new Error(`file ${f.name ?? '?'} is not on Slack's file host; not downloaded`);
  }
  if (f.size !== undefined && f.size > MAX_PROPOSED_BYTES)
    throw new Error(`file ${f.name ?? '?'} is ${f.size} bytes; what-if reads at most ${MAX_PROPOSED_BYTES}`);
  const res = await fetch(u, {
    headers: { authorization: `Bearer ${token}` },
    redirect: 'error',
    ...(signal ? { signal } : {}),
  });
  if (!res.ok)
    throw new Error(
      `file ${f.name ?? '?'}: download failed with HTTP ${res.status} (the app needs the files:read scope)`,
    );
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > MAX_PROPOSED_BYTES)
    throw new Error(`file ${f.name ?? '?'} is over ${MAX_PROPOSED_BYTES} bytes; what-if reads at most that`);
  return buf.toString('utf8');
}

const md = (text: string) => ({ type: 'mrkdwn' as const, text });
const section = (text: string) => ({ type: 'section' as const, text: md(text) });
const context = (text: string) => ({ type: 'context' as const, elements: [md(text)] });

/** The fix in the thread: what it does, the proof, the YAML as a snippet and the command to apply it. */
export function fixMessage(cluster: string, image: string, r: FixResult): FittedMessage | null {
  if (r.fix === null) return null;
  const f = r.fix;
  const lines = [
    `:wrench: *Fix*, checked by the engine: \`${f.verdictBefore}\` → \`${f.verdictAfter}\`` +
      `${f.firstSourceAfter !== null ? ` (the node then tries \`${esc(f.firstSourceAfter)}\` first)` : ''}`,
    ...f.steps.map((s) => `• ${esc(s.description)}`),
    `Apply with \`${f.applyCommand}\` (the YAML is below and attached as fix.yaml). Preview first: ` +
      `\`@icsp-bot what-if\` with fix.yaml attached, or \`/icsp what-if\` with the YAML pasted.`,
  ];
  const m: SlackMessage = {
    text: `[${cluster}] fix for ${image}: ${f.verdictBefore} -> ${f.verdictAfter}`,
    blocks: [section(lines.join('\n')), ...codeSections(f.yaml), context(`cluster *${esc(cluster)}*`)],
  };
  return fitMessage(m);
}

/** The what-if verdict: MCO, disruption, reroutes in a few lines; the full report follows in the thread. */
export function whatIfMessage(cluster: string, r: WhatIfResult): FittedMessage {
  const head = r.accepted
    ? ':white_check_mark: *What-if*: the MCO accepts the result.'
    : `:no_entry: *What-if*: the MCO REFUSES the result: \`${esc(r.mcoMessage ?? '')}` +
      `\` (only in the machine-config-controller log; nothing rolls out).`;
  const pools = r.pools.map((p) => {
    const what =
      !p.drain && !p.reboot && p.services.length === 0
        ? 'nothing'
        : [p.drain ? '*drain*' : 'no drain', p.reboot ? '*reboot*' : 'no reboot'].join(', ');
    const size =
      p.nodes === null
        ? ''
        : ` (${p.nodes} node(s), ${p.maxUnavailable} at a ` +
          `time${p.estimateMs !== null ? `, about ${formatDuration(p.estimateMs)}` : ''})`;
    return `${esc(p.pool)}: ${what}${size}`;
  });
  const lines = [
    head,
    `Files: ${r.registriesChanges.length} registries.conf change(s)` +
      (r.policyJsonChanges.length > 0 ? `, ${r.policyJsonChanges.length} policy.json` : '') +
      (r.searchRegistriesChange !== null ? ', search registries' : '') +
      '.',
    `Nodes: ${pools.join(' · ')}`,
    r.imagesChecked === 0
      ? 'Images: none read.'
      : `Images: *${r.rerouted.length}* of ${r.imagesChecked} running image(s) change route${
          r.reroutedByNamespace.length > 0
            ? ` (${r.reroutedByNamespace
                .slice(0, 8)
                .map((n) => `${esc(n.namespace || '-')} ${n.images}`)
                .join(', ')}${r.reroutedByNamespace.length > 8 ? ', …' : ''})`
            : ''
        }.`,
  ];
  return fitMessage({
    text: `[${cluster}] what-if: ${r.accepted ? 'accepted' : 'refused'}, ${r.rerouted.length} image(s) rerouted`,
    blocks: [section(lines.join('\n')), context(`cluster *${esc(cluster)}*`)],
  });
}

/** The full report for the thread (and a file when it does not fit). */
export function whatIfReport(cluster: string, r: WhatIfResult): FittedMessage {
  return fitMessage({
    text: `[${cluster}] what-if report`,
    blocks: [...codeSections(formatWhatIf(r)), context(`cluster *${esc(cluster)}*`)],
  });
}
