// The bot's real debug pod (src/domain/debug-pod.ts, modelled on oc debug node) with test defaults,
// so the cluster tests check exactly what the bot will create.
import type { V1Pod } from '@kubernetes/client-node';
import { buildDebugPod } from '../../src/domain/debug-pod.ts';
import { parsePullReference } from '../../src/domain/reference.ts';

export const debugNamespace = 'icsp-bot-debug';
export const checkedImage = 'quay.io/openshift-release-dev/ocp-release@sha256:' + 'a'.repeat(64);
export const toolsImage = 'registry.example.com/openshift/tools:latest';

export function debugPod(node: string, namespace = debugNamespace): V1Pod & { metadata: { name: string } } {
  return buildDebugPod({
    node,
    namespace,
    serviceAccount: 'icsp-bot-debug',
    image: toolsImage,
    reference: parsePullReference(checkedImage),
    runId: 'cluster-test',
    deadlineSeconds: 300,
    suffix: Math.random().toString(36).slice(2, 7),
  }) as unknown as V1Pod & { metadata: { name: string } };
}
