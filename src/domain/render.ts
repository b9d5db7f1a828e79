// The MCO's render of /etc/containers/registries.conf (container-runtime-config controller): payload filter,
// validation, then EditRegistriesConfig. Errors carry the MCO's own messages with stage "render".
import { editRegistriesConfig } from './edit-registries.ts';
import { validateRegistriesConfScopes } from './mco-validate.ts';
import { mirrorSetInputs } from './mirror-sets.ts';
import { applyPayloadFilter } from './payload-filter.ts';
import type { PayloadFilterResult } from './payload-filter.ts';
import type { PolicySet } from './policy-set.ts';
import type { Registry } from './registries-conf.ts';

export interface RenderOptions {
  /** Live clusters: no Image "cluster" means the MCO renders nothing. Offline files: treat as empty. */
  requireImageConfig?: boolean;
  /** Skip the MCO's validation: used only to explain what a refused configuration was meant to do. */
  skipValidation?: boolean;
}

export interface RenderResult {
  /** False when the MCO writes no registries.conf (nodes keep the template). */
  rendered: boolean;
  /** Why nothing was rendered, when rendered is false. */
  reason?: string;
  registries: Registry[];
  unqualifiedSearchRegistries: string[];
  payloadFilter?: PayloadFilterResult;
}

export const TEMPLATE_SEARCH_REGISTRIES = ['registry.access.redhat.com', 'docker.io'];

/** The whole pipeline: payload filter, validation (errors carry the MCO's message, stage "render"), edit. */
export function renderPolicies(p: PolicySet, opts: RenderOptions = {}): RenderResult {
  const base = { registries: [] as Registry[], unqualifiedSearchRegistries: [...TEMPLATE_SEARCH_REGISTRIES] };
  if (p.image === undefined && opts.requireImageConfig === true) {
    return {
      ...base,
      rendered: false,
      reason: 'image.config.openshift.io/cluster does not exist: the MCO renders no registries.conf at all',
    };
  }
  const sources = p.image?.spec.registrySources ?? {};
  const insecure = sources.insecureRegistries ?? [];
  let blocked = sources.blockedRegistries ?? [];
  const { digest, tag } = mirrorSetInputs(p);
  let payloadFilter: PayloadFilterResult | undefined;
  if (p.releaseImage !== undefined) {
    payloadFilter = applyPayloadFilter(p.releaseImage, insecure, blocked, sources.allowedRegistries ?? [], digest);
    blocked = payloadFilter.registriesBlocked ?? [];
  }
  if (opts.skipValidation !== true) validateRegistriesConfScopes(insecure, blocked, p);
  const anyMirrorObject = p.icsps.length + p.idms.length + p.itms.length > 0;
  if (sources.insecureRegistries === undefined && blocked.length === 0 && !anyMirrorObject) {
    return {
      ...base,
      rendered: false,
      reason:
        'no mirror objects and no insecure or blocked registries: the MCO ' +
        'ships no registries.conf, nodes keep the template',
      ...(payloadFilter ? { payloadFilter } : {}),
    };
  }
  const registries = editRegistriesConfig(insecure, blocked, digest, tag);
  return { ...base, rendered: true, registries, ...(payloadFilter ? { payloadFilter } : {}) };
}
