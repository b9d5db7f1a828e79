// A proposed change laid over the current policies, as `oc apply` (and `oc delete`) would leave them: a proposed
// object replaces the object of the same kind and name, a new one is added, a removed one disappears. Pure.
import { buildPolicySet } from './policy-documents.ts';
import type { PolicySet } from './policy-set.ts';
import type { PolicyObject } from '../types/openshift.ts';

export interface ObjectKey {
  kind: string;
  name: string;
}

/** The objects of a policy set, in the order buildPolicySet keeps them. */
export function policyObjectsOf(p: PolicySet): PolicyObject[] {
  const out: PolicyObject[] = [...p.icsps, ...p.idms, ...p.itms];
  if (p.image !== undefined) out.push(p.image);
  return out;
}

const keyOf = (o: { kind: string; metadata: { name: string } }): string => `${o.kind}/${o.metadata.name}`;

/** Short kind names users type for --remove (oc's resource names and short names). */
const KIND_ALIASES: Record<string, string> = {
  imagecontentsourcepolicy: 'ImageContentSourcePolicy',
  imagecontentsourcepolicies: 'ImageContentSourcePolicy',
  icsp: 'ImageContentSourcePolicy',
  imagedigestmirrorset: 'ImageDigestMirrorSet',
  imagedigestmirrorsets: 'ImageDigestMirrorSet',
  idms: 'ImageDigestMirrorSet',
  imagetagmirrorset: 'ImageTagMirrorSet',
  imagetagmirrorsets: 'ImageTagMirrorSet',
  itms: 'ImageTagMirrorSet',
  image: 'Image',
  images: 'Image',
};

/** Parses KIND/NAME (KIND as oc accepts it: idms, imagedigestmirrorset, ImageDigestMirrorSet…); null when bad. */
export function parseObjectKey(s: string): ObjectKey | null {
  const m = /^([A-Za-z.]+)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(s.trim());
  if (m === null) return null;
  const kind = KIND_ALIASES[m[1]!.toLowerCase().replace(/\..*$/, '')];
  return kind === undefined ? null : { kind, name: m[2]! };
}

export interface Overlay {
  policies: PolicySet;
  /** What the overlay did, per object: for the answer's "objects" line. */
  actions: Array<ObjectKey & { action: 'created' | 'replaced' | 'removed' | 'not-found' }>;
}

/** The policies after applying `proposed` and deleting `remove`; the release image is kept. */
export function overlayPolicies(
  base: PolicySet,
  proposed: readonly PolicyObject[],
  remove: readonly ObjectKey[] = [],
): Overlay {
  const byKey = new Map<string, PolicyObject>();
  for (const o of policyObjectsOf(base)) byKey.set(keyOf(o), o);
  const actions: Overlay['actions'] = [];
  for (const r of remove) {
    const k = `${r.kind}/${r.name}`;
    actions.push({ ...r, action: byKey.delete(k) ? 'removed' : 'not-found' });
  }
  for (const o of proposed) {
    if (o.kind === 'ClusterVersion') continue;
    const k = keyOf(o);
    actions.push({ kind: o.kind, name: o.metadata.name, action: byKey.has(k) ? 'replaced' : 'created' });
    byKey.set(k, o);
  }
  const policies = buildPolicySet([...byKey.values()]);
  if (base.releaseImage !== undefined) policies.releaseImage = base.releaseImage;
  return { policies, actions };
}
