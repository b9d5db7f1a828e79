// Differences between two registries.conf configurations in mirror terms ("node lacks mirror X for source Y"):
// a node's file against the render of the live policies (has the rollout reached it?), or a render before and
// after a policy change (what did the change do?).
import type { Mirror, Registry } from './registries-conf.ts';

/** One mirror-level difference between two registries.conf configurations (a node's file against the render). */
export interface ConfigDifference {
  source: string;
  kind: 'missing-mirror' | 'extra-mirror' | 'missing-entry' | 'extra-entry' | 'order' | 'flag';
  message: string;
}

export type DiffPerspective = 'node' | 'change';

function mirrorLabel(m: Mirror): string {
  const flags = [m.pullFromMirror || 'all', ...(m.insecure ? ['insecure'] : [])];
  return `${m.location} (${flags.join(', ')})`;
}

/** Cheap check first: most entries of a 10,000-source render are unchanged. */
function sameEntry(e: Registry, a: Registry): boolean {
  if (
    e.location !== a.location ||
    e.blocked !== a.blocked ||
    e.insecure !== a.insecure ||
    e.mirrorByDigestOnly !== a.mirrorByDigestOnly ||
    e.mirrors.length !== a.mirrors.length
  )
    return false;
  for (let i = 0; i < e.mirrors.length; i++) {
    const x = e.mirrors[i]!;
    const y = a.mirrors[i]!;
    if (x.location !== y.location || x.pullFromMirror !== y.pullFromMirror || x.insecure !== y.insecure) return false;
  }
  return true;
}

const mirrorKey = (m: Mirror): string => `${m.location}\u0000${m.pullFromMirror}\u0000${m.insecure}`;

/**
 * `expected` is the reference side (the policies' render, or the configuration after a change); `actual` the
 * other (the node's file, or the configuration before). Entries are matched by prefix, as containers/image does.
 */
export function diffRegistries(
  expected: readonly Registry[],
  actual: readonly Registry[],
  perspective: DiffPerspective = 'node',
): ConfigDifference[] {
  const words =
    perspective === 'node'
      ? {
          missingMirror: 'node lacks mirror',
          extraMirror: 'node has mirror',
          extraTail: 'that the policies do not configure',
          missingEntry: 'node has no [[registry]] for',
          extraEntry: 'node has a [[registry]] the policies do not render:',
          flagOn: 'the policies set',
          flagOff: 'the policies do not set',
          onNode: 'the node',
        }
      : {
          missingMirror: 'mirror added:',
          extraMirror: 'mirror removed:',
          extraTail: '',
          missingEntry: 'new source',
          extraEntry: 'source removed:',
          flagOn: 'now',
          flagOff: 'no longer',
          onNode: 'before',
        };
  const out: ConfigDifference[] = [];
  const actualBy = new Map(actual.map((r) => [r.prefix, r]));
  const expectedBy = new Map(expected.map((r) => [r.prefix, r]));
  for (const e of expected) {
    const a = actualBy.get(e.prefix);
    if (a === undefined) {
      const mirrors = e.mirrors.length > 0 ? ` (mirrors ${e.mirrors.map(mirrorLabel).join(', ')})` : '';
      out.push({ source: e.prefix, kind: 'missing-entry', message: `${words.missingEntry} ${e.prefix}${mirrors}` });
      continue;
    }
    if (sameEntry(e, a)) continue;
    const aKeys = new Set(a.mirrors.map(mirrorKey));
    const eKeys = new Set(e.mirrors.map(mirrorKey));
    for (const m of e.mirrors)
      if (!aKeys.has(mirrorKey(m)))
        out.push({
          source: e.prefix,
          kind: 'missing-mirror',
          message: `${words.missingMirror} ${mirrorLabel(m)} for source ${e.prefix}`,
        });
    for (const m of a.mirrors)
      if (!eKeys.has(mirrorKey(m)))
        out.push({
          source: e.prefix,
          kind: 'extra-mirror',
          message:
            `${words.extraMirror} ${mirrorLabel(m)} for ` +
            `source ${e.prefix}${words.extraTail ? ` ${words.extraTail}` : ''}`,
        });
    const common = (list: Mirror[], other: Set<string>): string[] => list.map(mirrorKey).filter((k) => other.has(k));
    const eOrder = common(e.mirrors, aKeys);
    const aOrder = common(a.mirrors, eKeys);
    if (eOrder.join('\n') !== aOrder.join('\n')) {
      out.push({
        source: e.prefix,
        kind: 'order',
        message:
          `mirror order for ${e.prefix} differs: ${e.mirrors.map((m) => m.location).join(' > ')}` +
          ` vs ${words.onNode}: ${a.mirrors.map((m) => m.location).join(' > ')}`,
      });
    }
    const flag = (name: string, ev: boolean, av: boolean, meaning: string): void => {
      if (ev !== av)
        out.push({
          source: e.prefix,
          kind: 'flag',
          message: `${e.prefix}: ${ev ? words.flagOn : words.flagOff} ${name} (${meaning})`,
        });
    };
    flag('blocked', e.blocked, a.blocked, 'NeverContactSource or blockedRegistries');
    flag('insecure', e.insecure, a.insecure, 'insecureRegistries');
    flag('mirror-by-digest-only', e.mirrorByDigestOnly, a.mirrorByDigestOnly, 'the OCP <= 4.12 rendering of ICSP');
    if (e.location !== a.location)
      out.push({
        source: e.prefix,
        kind: 'flag',
        message: `${e.prefix}: location ${a.location} changed to ${e.location}`,
      });
  }
  for (const a of actual)
    if (!expectedBy.has(a.prefix))
      out.push({ source: a.prefix, kind: 'extra-entry', message: `${words.extraEntry} ${a.prefix}` });
  return out;
}
