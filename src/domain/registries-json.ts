// The JSON shape of rendered [[registry]] entries (render --json, and ../shared/conformance/render.json).
import type { Registry } from './registries-conf.ts';

export interface RegistryJson {
  prefix: string;
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: Array<{ location: string; pullFromMirror?: string; insecure?: true }>;
}

export function registriesToJson(regs: readonly Registry[]): RegistryJson[] {
  return regs.map((r) => ({
    prefix: r.prefix,
    location: r.location,
    insecure: r.insecure,
    blocked: r.blocked,
    mirrorByDigestOnly: r.mirrorByDigestOnly,
    mirrors: r.mirrors.map((m) => ({
      location: m.location,
      ...(m.pullFromMirror !== '' ? { pullFromMirror: m.pullFromMirror } : {}),
      ...(m.insecure ? { insecure: true as const } : {}),
    })),
  }));
}
