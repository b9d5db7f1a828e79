// The human answer to `icsp what-if` (and the Slack thread's text): the four questions in order. Plain text.
import { formatDuration } from './node-disruption.ts';
import type { PoolForecast } from './node-disruption.ts';
import type { WhatIfResult } from './what-if.ts';

const MAX_IMAGES = 40;

function poolLine(p: PoolForecast): string {
  const size =
    p.nodes === null
      ? 'node count unknown'
      : `${p.nodes} node(s), ${p.maxUnavailable} at a time${p.batches !== null ? ` (${p.batches} round(s))` : ''}`;
  if (!p.drain && !p.reboot && p.services.length === 0) return `  - pool ${p.pool}: nothing happens on its nodes`;
  const what = [p.drain ? 'DRAIN' : 'no drain', p.reboot ? 'REBOOT' : 'no reboot', ...p.services].join(', ');
  const how = p.estimateMs !== null ? `about ${formatDuration(p.estimateMs)} (${p.estimateBasis})` : p.estimateBasis;
  return (
    `  - pool ${p.pool}: ${size}: ${what}; ${how}` +
    `${p.paused ? '; PAUSED: it will not roll out until unpaused' : ''}`
  );
}

export function formatWhatIf(r: WhatIfResult): string {
  const out: string[] = [];
  const objs = r.objects.filter((o) => o.action !== 'not-found');
  out.push(
    'What-if: ' +
      (objs.length === 0 ? 'no object changes' : objs.map((o) => `${o.action} ${o.kind}/${o.name}`).join(', ')),
  );
  out.push('');
  out.push(r.accepted ? '1. The MCO accepts the result.' : `1. The MCO REFUSES the result: ${r.mcoMessage}`);
  if (!r.accepted)
    out.push(
      '   (only visible in the machine-config-controller log; nodes keep their current file, nothing rolls out)',
    );
  out.push('');
  const pools = r.pools.map((p) => p.pool).join(', ');
  if (r.registriesChanges.length === 0 && r.policyJsonChanges.length === 0 && r.searchRegistriesChange === null) {
    out.push("2. Nodes' files: no change (registries.conf, policy.json and the search registries stay as they are).");
  } else {
    out.push(`2. Changes to the nodes' files, the same in every pool (${pools}; custom pools get the worker's):`);
    for (const c of r.registriesChanges) out.push(`   registries.conf: ${c}`);
    for (const c of r.policyJsonChanges) out.push(`   policy.json: ${c}`);
    if (r.searchRegistriesChange !== null)
      out.push(`   registries.conf.d/01-image-searchRegistries.conf: ${r.searchRegistriesChange}`);
  }
  out.push('');
  out.push(
    `3. What the nodes will do (` +
      (r.nodeAction.rules === 'NodeDisruptionPolicy'
        ? 'NodeDisruptionPolicy of MachineConfiguration cluster'
        : 'MCO rules without a NodeDisruptionPolicy') +
      '):',
  );
  for (const p of r.pools) out.push(poolLine(p));
  for (const why of r.nodeAction.reasons) out.push(`    why: ${why}`);
  out.push('');
  if (r.imagesChecked === 0)
    out.push('4. Running images: none given (--images FILE, or --kubeconfig to read the pods).');
  else {
    out.push(
      `4. Images that change route: ${r.rerouted.length} of ${r.imagesChecked} running image(s)${
        r.reroutedByNamespace.length > 0
          ? `, by namespace: ${r.reroutedByNamespace
              .slice(0, 15)
              .map((n) => `${n.namespace || '(no namespace)'} ${n.images} image(s)/${n.pods} pod(s)`)
              .join(', ')}${r.reroutedByNamespace.length > 15 ? ', …' : ''}`
          : ''
      }`,
    );
    for (const x of r.rerouted.slice(0, MAX_IMAGES)) {
      const ns = x.namespaces
        .map((n) => (n.namespace === '' ? '' : `${n.namespace}:${n.pods}`))
        .filter((s) => s !== '')
        .join(' ');
      out.push(`   [${x.changes.join(', ')}] ${x.image}${ns ? `  (${ns})` : ''}`);
      out.push(`       before: ${x.before.join(' > ')}`);
      out.push(`       after:  ${x.after.join(' > ')}`);
    }
    if (r.rerouted.length > MAX_IMAGES) {
      out.push(`   … and ${r.rerouted.length - MAX_IMAGES} more (--json lists all)`);
    }
    if (r.unparseableImages.length > 0)
      out.push(
        `   ${r.unparseableImages.length} image reference(s) do not parse and fail ` +
          `either way: ${r.unparseableImages.slice(0, 5).join(', ')}`,
      );
  }
  if (r.notes.length > 0) {
    out.push('', 'Notes:');
    for (const n of r.notes) out.push(`  ! ${n}`);
  }
  return out.join('\n') + '\n';
}

/** The stable JSON of `what-if --json`. */
export function whatIfJson(r: WhatIfResult): object {
  return {
    schemaVersion: 1,
    objects: r.objects,
    mco: { accepts: r.accepted, message: r.mcoMessage, currentRefused: r.currentRefused },
    changes: {
      registriesConf: r.registriesChanges,
      policyJson: r.policyJsonChanges,
      searchRegistries: r.searchRegistriesChange,
    },
    nodes: { rules: r.nodeAction.rules, reasons: r.nodeAction.reasons, pools: r.pools },
    imagesChecked: r.imagesChecked,
    reroutedByNamespace: r.reroutedByNamespace,
    rerouted: r.rerouted.map((x) => ({
      image: x.image,
      namespaces: x.namespaces.map((n) => n.namespace),
      pods: x.namespaces,
      before: x.before,
      after: x.after,
      change: x.change,
      changes: x.changes,
    })),
    unparseableImages: r.unparseableImages,
    notes: r.notes,
  };
}
