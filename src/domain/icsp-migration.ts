// `oc adm migrate icsp`: one IDMS per ICSP, mirrors in order, no mirrorSourcePolicy, metadata copied
// (name, labels, annotations). Output in the layout oc prints (sigs.k8s.io/yaml: keys sorted, 4-space indent).
import { dumpGoYaml } from './go-yaml.ts';
import type { ImageContentSourcePolicy, ImageDigestMirrorSet } from '../types/openshift.ts';

export function icspToIdms(icsp: ImageContentSourcePolicy): ImageDigestMirrorSet {
  const metadata: ImageDigestMirrorSet['metadata'] = { name: icsp.metadata.name };
  if (icsp.metadata.labels !== undefined) metadata.labels = { ...icsp.metadata.labels };
  if (icsp.metadata.annotations !== undefined) metadata.annotations = { ...icsp.metadata.annotations };
  return {
    apiVersion: 'config.openshift.io/v1',
    kind: 'ImageDigestMirrorSet',
    metadata,
    spec: {
      imageDigestMirrors: (icsp.spec.repositoryDigestMirrors ?? []).map((r) => ({
        source: r.source,
        // IDMS mirrors are a set: the API server refuses duplicates an ICSP may carry.
        ...(r.mirrors !== undefined ? { mirrors: [...new Set(r.mirrors)] } : {}),
      })),
    },
  };
}

export function dumpIdmsYaml(objs: readonly ImageDigestMirrorSet[]): string {
  return objs.map((o) => dumpGoYaml(o)).join('---\n');
}
