// Small Kubernetes helpers for the cluster tests, on @kubernetes/client-node 2.x.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  loadAllYaml,
} from '@kubernetes/client-node';
import type { KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { load } from 'js-yaml';
import type { ReadyInfo } from './control-plane.ts';

const fieldManager = 'icsp-bot-cluster-tests';

/** Cluster admin through the client certificate in group system:masters. */
export function adminKubeConfig(info: ReadyInfo): KubeConfig {
  return kubeConfig(info, { name: 'admin', certFile: info.adminCertFile, keyFile: info.adminKeyFile });
}

/** A ServiceAccount (or any bearer token) identity, e.g. the bot's. */
export function tokenKubeConfig(info: ReadyInfo, token: string, name = 'token'): KubeConfig {
  return kubeConfig(info, { name, token });
}

function kubeConfig(
  info: ReadyInfo,
  user: { name: string; token?: string; certFile?: string; keyFile?: string },
): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'controlplane', server: info.apiServerURL, caFile: info.caFile, skipTLSVerify: false }],
    users: [user],
    contexts: [{ name: user.name, cluster: 'controlplane', user: user.name }],
    currentContext: user.name,
  });
  return kc;
}

/** The Status an API call failed with (code, reason, message), or undefined if it did not. */
export interface ApiStatus {
  code: number;
  reason?: string;
  message?: string;
}

export function apiStatus(err: unknown): ApiStatus | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : err.body;
  const s = (body ?? {}) as { reason?: string; message?: string };
  return { code: err.code, reason: s.reason, message: s.message };
}

/** Resolves to the API status of a failing call; throws if the call succeeds. */
export async function expectApiError(call: Promise<unknown>): Promise<ApiStatus> {
  try {
    await call;
  } catch (err) {
    const status = apiStatus(err);
    if (status) return status;
    throw err;
  }
  throw new Error('expected the API call to fail');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/** Server-side apply, as `kubectl apply --server-side --force-conflicts` would. */
export async function apply(kc: KubeConfig, objects: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) {
    await api.patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
  }
}

/**
 * Typed objects, as client-node's serializer expects them: it maps JSON names to model names
 * (x-kubernetes-int-or-string ↔ x_kubernetes_int_or_string) and silently drops keys it does not
 * know, so plain js-yaml objects lose the CRDs' x-kubernetes-* schema extensions on the way out.
 */
export function readYamlObjects(file: string): KubernetesObject[] {
  return (loadAllYaml(readFileSync(file, 'utf8')) as (KubernetesObject | null)[]).filter(
    (o): o is KubernetesObject => o !== null,
  );
}

/** The objects of a kustomization's `resources:` files, in order (plain files only: no patches). */
export function readKustomization(dir: string): KubernetesObject[] {
  const k = load(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources?: string[] };
  return (k.resources ?? []).flatMap((r) => readYamlObjects(join(dir, r)));
}

/** Installs CRDs and waits until each one is Established (served). */
export async function installCrds(kc: KubeConfig, files: string[]): Promise<V1CustomResourceDefinition[]> {
  const crds = files.flatMap(readYamlObjects) as V1CustomResourceDefinition[];
  await apply(kc, crds);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    for (let i = 0; ; i++) {
      const live = await api.readCustomResourceDefinition({ name });
      if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (i > 300) throw new Error(`CRD ${name} not Established after 30s`);
      await sleep(100);
    }
  }
  // Established is not yet servable: until a resource's watch cache has synced, requests get
  // 429 "storage is (re)initializing". Wait for that here, not in every test.
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const crd of crds) {
    const spec = crd.spec;
    const version = spec.versions.find((v) => v.storage)?.name ?? '';
    await eventually(
      async () => {
        try {
          await custom.listClusterCustomObject({ group: spec.group, version, plural: spec.names.plural, limit: 1 });
          return true;
        } catch (err) {
          if (apiStatus(err)?.code === 429) return undefined;
          throw err;
        }
      },
      30_000,
      `${spec.names.plural}.${spec.group} to be served`,
    );
  }
  return crds;
}

/**
 * Creates a namespace plus its `default` ServiceAccount: kube-controller-manager, which would
 * create that SA, does not run here, and ServiceAccount admission rejects pods without it.
 */
export async function createNamespace(
  kc: KubeConfig,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  await apply(kc, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } },
  ] as KubernetesObject[]);
}

/** A bound ServiceAccount token from the TokenRequest API (no token controller needed). */
export async function mintToken(
  kc: KubeConfig,
  namespace: string,
  serviceAccount: string,
  expirationSeconds = 3600,
): Promise<string> {
  const api = kc.makeApiClient(CoreV1Api);
  const tr = await api.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`no token for ${namespace}/${serviceAccount}`);
  return token;
}

/** Polls until `check` returns a value other than undefined (or throws after timeoutMs). */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** A DNS-1123 name unique to this run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
