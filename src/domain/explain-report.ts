// The human answer to `icsp why`: verdict first, then the pull plan, the mirrors that will not be tried and
// why, what the other kind of pull would do, what to do, and warnings. Plain text, no colour.
import type { Explanation } from './explain.ts';
import type { PullExplanation } from './explain-pull.ts';
import type { PullSource } from './pull-source.ts';

function attempt(s: PullSource & { from?: Array<{ kind: string; name: string }> }, i: number): string {
  const tags: string[] = [s.mirror ? 'mirror' : 'source'];
  if (s.pullFromMirror !== undefined) tags.push(s.pullFromMirror);
  if (s.insecure) tags.push('insecure: no TLS verification, HTTP fallback');
  if (s.blocked) tags.push(`BLOCKED by ${s.blockedBy}`);
  if (s.from !== undefined && s.from.length > 0)
    tags.push(`from ${s.from.map((o) => `${o.kind}/${o.name}`).join(', ')}`);
  return `  ${i + 1}. ${s.reference}  (${tags.join('; ')})`;
}

/** A short name's candidates, each with its own plan (src/domain/explain-pull.ts). */
function shortNameSection(e: PullExplanation, out: string[]): void {
  const sn = e.shortName!;
  out.push(
    `Short name: ${e.input}  (short-name mode ${sn.mode}` +
      `${e.shortNameModeSource !== undefined ? `: ${e.shortNameModeSource}` : ''})`,
  );
  if (sn.alias !== null) out.push(`Alias:      ${sn.alias.name} = ${sn.alias.value}  (${sn.alias.origin})`);
  out.push(
    '',
    e.error === null
      ? 'Candidates, in the order CRI-O tries them, each with its own pull plan:'
      : 'Candidates (what each would try once written fully qualified):',
  );
  (e.candidatePlans ?? []).forEach((c, i) => {
    out.push(
      `  ${i + 1}. ${c.candidate}  [` +
        `${c.matchedPrefix === null ? 'no [[registry]] entry' : `[[registry]] prefix ${c.matchedPrefix}`}]`,
    );
    if (c.error !== null) out.push(`     fails: ${c.error.message}`);
    c.pullSources.forEach((s, j) => out.push(`  ${attempt(s, j)}`));
  });
}

export function formatExplanation(e: Explanation): string {
  const out: string[] = [];
  out.push(e.verdict.summary, '');
  const pull = e as Partial<PullExplanation>;
  if (pull.shortName != null) {
    if (e.error !== null) out.push(`Error (${e.error.stage}): ${e.error.message}`, '');
    shortNameSection(e as PullExplanation, out);
  } else if (e.error !== null) {
    out.push(`Error (${e.error.stage}): ${e.error.message}`);
  } else {
    out.push(`Image:    ${e.normalizedReference} (${e.pullKind} pull)`);
    out.push(
      `Matched:  ${e.matchedPrefix === null ? 'no [[registry]] entry' : `[[registry]] prefix ${e.matchedPrefix}`}`,
    );
    if (e.policy !== null && e.policy.rendered) out.push(`Policy:   ${policyLine(e.policy)}`);
    out.push('', 'Pull plan, in the order the node tries it:');
    e.pullSources.forEach((s, i) => out.push(attempt(s, i)));
  }
  if (e.skippedMirrors.length > 0) {
    out.push('', 'Configured mirrors NOT tried for this reference:');
    for (const s of e.skippedMirrors)
      out.push(`  - ${s.location}  (${s.from.kind}/${s.from.name}, source ${s.source}): ${s.detail} [${s.reason}]`);
  }
  if (e.alternative !== null) {
    out.push('', `A ${e.alternative.pullKind} pull (${e.alternative.reference}) would try:`);
    e.alternative.pullSources.forEach((s, i) => out.push(attempt(s, i)));
  }
  if (e.advice.length > 0) {
    out.push('', 'What to do:');
    for (const a of e.advice) out.push(`  - ${a}`);
  }
  if (e.warnings.length > 0) {
    out.push('', 'Warnings:');
    for (const w of e.warnings) out.push(`  ! [${w.code}] ${w.message}`);
  }
  const basis =
    e.basis.kind === 'policies'
      ? `rendered from ${e.basis.objects} policy object(s) as the MCO would`
      : `read from ${e.basis.files.join(', ')}`;
  out.push('', `(Configuration ${basis}.)`);
  return out.join('\n') + '\n';
}

/** policy.json's decision on the logical name, when image.config sets allowedRegistries / blockedRegistries. */
function policyLine(p: NonNullable<Explanation['policy']>): string {
  const scope = p.scope === null ? 'its default' : `scope ${p.scope === '' ? '""' : p.scope}`;
  const why =
    p.field === 'blockedRegistries'
      ? ` (blockedRegistries ${p.entry})`
      : p.field === 'allowedRegistries'
        ? ' (not in allowedRegistries)'
        : '';
  const reach = !p.allowed && !p.reached ? '; never consulted: every pull source is blocked first' : '';
  return `${p.file} ${p.allowed ? 'accepts' : 'rejects'} ${p.identity} by ${scope}${why}${reach}`;
}
