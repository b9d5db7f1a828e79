// The images pods run, as what-if reads them: `oc get pods -A -o json` output (a PodList or List: every
// container, init container and ephemeral container image, per namespace) or plain text, one reference per line
// ("#" comments allowed). Pure; the cluster adapter builds the same ImageUse list from the API.
import { EngineError } from './engine-error.ts';

export interface ImageUse {
  image: string;
  /** "" when unknown (a plain list of images). */
  namespace: string;
  pods: number;
}

/** Running images aggregated: image -> namespace -> pods. */
export type ImageUsage = Map<string, Map<string, number>>;

interface PodLike {
  metadata?: { namespace?: string };
  spec?: {
    containers?: Array<{ image?: unknown }>;
    initContainers?: Array<{ image?: unknown }>;
    ephemeralContainers?: Array<{ image?: unknown }>;
  };
}

/** The distinct images of one pod (a pod counts once per image, however many containers run it). */
export function podImages(p: PodLike): string[] {
  const s = new Set<string>();
  for (const list of [p.spec?.containers, p.spec?.initContainers, p.spec?.ephemeralContainers]) {
    for (const c of list ?? []) if (typeof c.image === 'string' && c.image.length > 0) s.add(c.image);
  }
  return [...s];
}

export function addUse(u: ImageUsage, image: string, namespace: string, pods = 1): void {
  let byNs = u.get(image);
  if (byNs === undefined) u.set(image, (byNs = new Map()));
  byNs.set(namespace, (byNs.get(namespace) ?? 0) + pods);
}

export function usageFromPods(pods: readonly PodLike[]): ImageUsage {
  const u: ImageUsage = new Map();
  for (const p of pods) for (const img of podImages(p)) addUse(u, img, p.metadata?.namespace ?? '');
  return u;
}

/** Parses an --images file: JSON pod list output, or references one per line. */
export function parseImagesFile(text: string, file: string): ImageUsage {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (e) {
      throw new EngineError(
        'input',
        `${file}: looks like JSON but does not parse (` +
          `${(e as Error).message.split('\n')[0]}); give 'oc get pods -A -o json' output or one image per line`,
      );
    }
    const items = (doc as { items?: unknown }).items;
    if (!Array.isArray(items))
      throw new EngineError(
        'input',
        `${file}: JSON without "items": give 'oc get pods -A -o json' output or one image per line`,
      );
    return usageFromPods(
      items.filter((i): i is PodLike =>
        typeof i === 'object' && i !== null && (i as { kind?: unknown }).kind !== undefined
          ? (i as { kind?: unknown }).kind === 'Pod'
          : true,
      ),
    );
  }
  const u: ImageUsage = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    addUse(u, line, '');
  }
  return u;
}
