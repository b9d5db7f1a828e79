// Messages of a fleet answer (`cluster=all`): one anchor with a line per cluster — its verdict and first source, or
// why it could not answer — and the pool status of every cluster in one message.
import type { Explanation } from '../domain/explain.ts';
import type { PoolStatus } from '../domain/rollout-status.ts';
import { esc, fitMessage } from './blocks.ts';
import type { FittedMessage } from './blocks.ts';

export interface FleetAnswer {
  cluster: string;
  explanation?: Explanation;
  error?: string;
}

function firstSource(e: Explanation): string {
  const first = e.pullSources[0];
  if (first === undefined) return e.error === null ? 'no pull source' : 'the pull fails';
  return `${first.mirror ? 'mirror' : 'source'} ${first.reference}`;
}

/** One line per cluster, in the fleet's order. */
export function fleetLines(answers: readonly FleetAnswer[]): string[] {
  return answers.map((a) => {
    if (a.explanation === undefined) return `${a.cluster}: unreachable — ${a.error ?? 'no answer'}`;
    return `${a.cluster}: \`${a.explanation.verdict.code}\` — first tries ${firstSource(a.explanation)}`;
  });
}

export function fleetAnchorMessage(a: {
  image: string;
  requester: string;
  answers: readonly FleetAnswer[];
}): FittedMessage {
  const lines = fleetLines(a.answers);
  const failing = a.answers.filter((x) => x.explanation === undefined).length;
  const head = `${a.image} across ${a.answers.length} clusters${failing > 0 ? ` (${failing} could not answer)` : ''}`;
  return fitMessage({
    text: `${head}\n${lines.join('\n')}`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text:
            `*${esc(a.image)}* across ${a.answers.length} ` +
            `clusters${failing > 0 ? ` — ${failing} could not answer` : ''}`,
        },
      },
      { type: 'section', text: { type: 'mrkdwn', text: lines.map((l) => `• ${esc(l)}`).join('\n') } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text:
              `asked by <@${a.requester}> · each cluster's plan follows ` +
              `in the thread · live checks: add cluster=NAME`,
          },
        ],
      },
    ],
  });
}

export function fleetStatusText(
  parts: ReadonlyArray<{ name: string; lines?: readonly PoolStatus[]; error?: string }>,
): string {
  return parts
    .map((p) => {
      if (p.lines === undefined) return `*${p.name}*: unreachable — ${p.error ?? 'no answer'}`;
      return (
        `*${p.name}*\n` +
        `${p.lines.map((l) => `${l.upToDate ? '✓' : '…'} pool ${l.pool}: ${l.detail}`).join('\n') || 'no pools'}`
      );
    })
    .join('\n');
}
