// validateRegistriesConfScopes: the MCO's checks before it renders. A failure here is only ever visible in the
// machine-config-controller log, so the bot must say it out loud.
import { EngineError } from './engine-error.ts';
import type { PolicySet } from './policy-set.ts';
import { isValidMirror, isValidMirrorSource, isValidRegistriesConfScope } from './scope.ts';
import type { MirrorSourcePolicy } from '../types/openshift.ts';

const fail = (msg: string): EngineError => new EngineError('render', msg);

export function validateRegistriesConfScopes(
  insecure: readonly string[],
  blocked: readonly string[],
  p: PolicySet,
): void {
  for (const s of insecure)
    if (!isValidRegistriesConfScope(s)) throw fail(`invalid entry for insecure registries ${JSON.stringify(s)}`);
  for (const s of blocked)
    if (!isValidRegistriesConfScope(s)) throw fail(`invalid entry for blocked registries ${JSON.stringify(s)}`);
  for (const s of p.image?.spec.registrySources?.allowedRegistries ?? []) {
    if (!isValidRegistriesConfScope(s)) throw fail(`invalid entry for allowed registries ${JSON.stringify(s)}`);
  }
  const policies = new Map<string, MirrorSourcePolicy>();
  const check = (source: string, mirrors: readonly string[], policy: MirrorSourcePolicy): void => {
    if (!isValidMirrorSource(source)) throw fail(`invalid format for source ${JSON.stringify(source)}`);
    const seen = policies.get(source);
    if (seen === undefined) policies.set(source, policy);
    else if (seen !== policy) {
      throw fail(
        `conflicting mirrorSourcePolicy is set for the same source ${JSON.stringify(source)} in ` +
          `imagedigestmirrorsets, imagetagmirrorsets, or imagecontentsourcepolicies`,
      );
    }
    for (const m of mirrors) {
      if (!isValidMirror(m)) throw fail(`invalid format for mirror ${JSON.stringify(m)}`);
      if (policy === 'NeverContactSource' && m === source) {
        throw fail(
          `cannot set mirrorSourcePolicy: NeverContactSource if the ` +
            `source ${JSON.stringify(source)} is one of the mirrors`,
        );
      }
    }
  };
  // IDMS first, then ICSP converted to IDMS (always AllowContactingSource), then ITMS.
  for (const o of p.idms)
    for (const m of o.spec.imageDigestMirrors ?? [])
      check(m.source, m.mirrors ?? [], m.mirrorSourcePolicy ?? 'AllowContactingSource');
  for (const o of p.icsps)
    for (const m of o.spec.repositoryDigestMirrors ?? []) check(m.source, m.mirrors ?? [], 'AllowContactingSource');
  for (const o of p.itms)
    for (const m of o.spec.imageTagMirrors ?? [])
      check(m.source, m.mirrors ?? [], m.mirrorSourcePolicy ?? 'AllowContactingSource');
}
