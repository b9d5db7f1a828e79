// The debug image is found as `oc debug` finds it, as the bot (manifests/' optional Role in namespace
// openshift): ImageStream openshift/tools tag latest; without image.openshift.io, oc's fallback (said why);
// a configured image always wins.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { FALLBACK_DEBUG_IMAGE, resolveDebugImage } from '../../src/cluster/debug-image.ts';
import { adminConfig, botConfig } from './cluster-info.ts';
import { installCrds } from './kube.ts';
import { tempDir } from '../helpers/test-temp-dir.ts';

const CRD = 'imagestreams.image.openshift.io';
const TOOLS = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:' + 'd'.repeat(64);

afterAll(async () => {
  await adminConfig()
    .makeApiClient(ApiextensionsV1Api)
    .deleteCustomResourceDefinition({ name: CRD })
    .catch(() => undefined);
});

describe('the debug image', () => {
  it("a configured image wins; without the ImageStream API, oc debug's fallback with the reason", async () => {
    expect(await resolveDebugImage(botConfig(), 'mirror.local/tools:4.19')).toEqual({
      image: 'mirror.local/tools:4.19',
      source: 'configured',
    });
    expect(await resolveDebugImage(botConfig(), undefined)).toEqual({
      image: FALLBACK_DEBUG_IMAGE,
      source: 'fallback',
      note: 'no ImageStream openshift/tools (or no image.openshift.io API on this cluster)',
    });
  });

  it("the release payload's tools image from ImageStream openshift/tools:latest, read as the bot", async () => {
    // image.openshift.io is an aggregated API on OpenShift; a CRD of the same shape stands in for it here.
    const file = join(tempDir('icsp-is-'), 'crd.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: CRD },
        spec: {
          group: 'image.openshift.io',
          scope: 'Namespaced',
          names: { plural: 'imagestreams', singular: 'imagestream', kind: 'ImageStream' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          ],
        },
      }),
    );
    await installCrds(adminConfig(), [file]);
    await adminConfig()
      .makeApiClient(CustomObjectsApi)
      .createNamespacedCustomObject({
        group: 'image.openshift.io',
        version: 'v1',
        namespace: 'openshift',
        plural: 'imagestreams',
        body: {
          apiVersion: 'image.openshift.io/v1',
          kind: 'ImageStream',
          metadata: { name: 'tools' },
          status: { tags: [{ tag: 'latest', items: [{ dockerImageReference: TOOLS }] }] },
        },
      });
    expect(await resolveDebugImage(botConfig(), undefined)).toEqual({ image: TOOLS, source: 'imagestream' });
  });
});
