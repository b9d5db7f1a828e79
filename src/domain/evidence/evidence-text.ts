// Human rendering of the evidence: the verdict's one line first, then the details an engineer scrolls for.
import type { EvidenceJson } from './evidence-json.ts';

export function renderEvidenceText(j: EvidenceJson): string {
  const out: string[] = [j.verdict.summary];
  for (const d of j.verdict.details) out.push(`  ${d}`);
  if (j.attempts.length > 0) {
    out.push('', 'attempts, in the order the tool made them:');
    // The outcome column is as wide as the longest outcome shown, so the roles and references line up.
    const width = Math.max(...j.attempts.map((a) => a.outcome.length));
    for (const a of j.attempts) {
      const role = a.mirror ? 'mirror' : 'source';
      const where = a.lines.length > 0 ? ` (line ${a.lines.join(', ')})` : '';
      out.push(`  ${a.walk}. ${a.outcome.padEnd(width)} ${role} ${a.reference}${where}`);
      if (a.detail !== '') out.push(`     ${a.detail}`);
    }
  }
  if (j.served !== null)
    out.push('', `served: ${j.served.reference}${j.served.digest !== null ? ` digest ${j.served.digest}` : ''}`);
  if (j.configFiles.length > 0) out.push('', `registries configuration loaded: ${j.configFiles.join(', ')}`);
  if (j.credentialNotes.length > 0) {
    out.push('', 'credentials:');
    for (const n of j.credentialNotes) out.push(`  ${n}`);
  }
  if (j.stats.droppedAttempts > 0) out.push('', `(${j.stats.droppedAttempts} attempts of older walks not shown)`);
  return `${out.join('\n')}\n`;
}
