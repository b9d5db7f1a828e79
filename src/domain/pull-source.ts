// The result of resolving one image reference against a registries.conf: the ordered pull sources
// containers/image (CRI-O, podman) will try. Shape follows ../shared/conformance/resolve.json.

export type PullFromMirror = 'all' | 'digest-only' | 'tag-only';

export interface PullSource {
  /** Rewritten reference this attempt asks for. */
  reference: string;
  /** Endpoint location ("" for a wildcard entry without location). */
  location: string;
  mirror: boolean;
  /** TLS verification skipped and plain-HTTP fallback allowed for this attempt. */
  insecure: boolean;
  pullFromMirror?: PullFromMirror;
  /** The attempt is refused: the rewritten reference's own best entry is blocked. */
  blocked: boolean;
  blockedBy?: string;
}

export interface ResolveResult {
  normalizedReference: string;
  /** Prefix of the chosen [[registry]], null when none matched. */
  matchedPrefix: string | null;
  pullSources: PullSource[];
}
