// One read of the cluster's policy objects (ICSP, IDMS, ITMS, Image) into a PolicySet, for the callers that need
// them once (pool status, what-if) rather than through the watches: a kind the cluster lacks is a note, not an error.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { acceptPolicyObjects, buildPolicySet } from '../domain/policy-documents.ts';
import type { PolicySet } from '../domain/policy-set.ts';
import { describeKubeError, kubeStatus } from './kube-errors.ts';
import { POLICY_RESOURCES } from './live-policies.ts';

/** Lists every policy kind; notes (missing kinds, object warnings) are appended to `notes`. */
export async function listPolicySet(custom: CustomObjectsApi, notes: string[]): Promise<PolicySet> {
  const objects: unknown[] = [];
  for (const [kind, spec] of Object.entries(POLICY_RESOURCES)) {
    try {
      const list = (await custom.listClusterCustomObject({
        group: spec.group,
        version: spec.version,
        plural: spec.plural,
      })) as { items?: Array<Record<string, unknown>> };
      for (const o of list.items ?? [])
        objects.push({ ...o, apiVersion: o.apiVersion ?? `${spec.group}/${spec.version}`, kind: o.kind ?? kind });
    } catch (e) {
      if (kubeStatus(e)?.code === 404) {
        notes.push(`${kind}: the cluster does not have this kind`);
        continue;
      }
      throw new Error(describeKubeError(e, `list ${kind} objects`), { cause: e });
    }
  }
  const parsed = acceptPolicyObjects(objects, 'cluster');
  notes.push(...parsed.warnings);
  return buildPolicySet(parsed.objects, notes);
}
