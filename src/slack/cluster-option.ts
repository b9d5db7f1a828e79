// `cluster=NAME` / `cluster=all` anywhere in a command's words, taken out before the command itself is parsed, so
// every subcommand (why, plan, policies, status, ...) can be aimed at one cluster of a fleet or at all of them.
import { isClusterName } from '../domain/cluster-name.ts';
import { quoteInput } from './command-parser.ts';

export type ClusterChoice = { kind: 'default' } | { kind: 'one'; name: string } | { kind: 'all' };

export type ClusterOptionResult = { ok: true; choice: ClusterChoice; rest: string } | { ok: false; error: string };

export function extractClusterOption(text: string): ClusterOptionResult {
  const words = text.split(/(\s+)/);
  let choice: ClusterChoice = { kind: 'default' };
  const kept: string[] = [];
  for (const w of words) {
    const m = /^`?cluster=([^`]*)`?$/i.exec(w);
    if (m === null) {
      kept.push(w);
      continue;
    }
    if (choice.kind !== 'default') return { ok: false, error: 'give cluster= at most once' };
    const value = m[1]!;
    if (value.toLowerCase() === 'all') choice = { kind: 'all' };
    else if (isClusterName(value)) choice = { kind: 'one', name: value };
    else return { ok: false, error: `cluster= takes a cluster name or "all", got ${quoteInput(value)}` };
  }
  return { ok: true, choice, rest: kept.join('').trim() };
}
