// Scopes as the MCO (openshift/runtime-utils) understands them: nesting for insecure/blocked propagation, the
// validity rule for image.config scopes, and the IDMS/ITMS source and mirror patterns it checks ICSPs with too.

/** ScopeIsNestedInsideScope: equal, a path below, or (for "*.d") a host ending in ".d". */
export function scopeIsNestedInsideScope(sub: string, sup: string): boolean {
  if (sub === sup) return true;
  if (sub.length > sup.length && sub.startsWith(sup) && sub[sup.length] === '/') return true;
  if (!sup.startsWith('*.')) return false;
  const suffix = sup.slice(1);
  if (sub.includes(':')) {
    const host = sub.split(':')[0] ?? '';
    return host.endsWith(suffix) && !host.includes('/');
  }
  return (sub.split('/')[0] ?? '').endsWith(suffix);
}

/** IsValidRegistriesConfScope: non-empty; a "*" only as a leading "*." with no "/", "@", ":" or "*" after it. */
export function isValidRegistriesConfScope(scope: string): boolean {
  if (scope === '') return false;
  if (!scope.includes('*')) return true;
  return scope.startsWith('*.') && !/[/@:*]/.test(scope.slice(2));
}

const label = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `${label}(?:\\.${label})*(?::[0-9]+)?`;
const component = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const repoScope = `${host}(?:/${component})*`;

const mirrorRe = new RegExp(`^${repoScope}$`);
const sourceRe = new RegExp(`^(?:\\*(?:\\.${label})+|${repoScope})$`);

/** The IDMS/ITMS `source` pattern (wildcards allowed). */
export function isValidMirrorSource(s: string): boolean {
  return sourceRe.test(s);
}

/** The IDMS/ITMS `mirrors[]` pattern (never a wildcard). */
export function isValidMirror(s: string): boolean {
  return mirrorRe.test(s);
}
