// The exact text the MCO writes (BurntSushi/toml encoder, 2-space indent, containers/image field order), so a
// render can be compared byte for byte with a node's /etc/containers/registries.conf.
import type { Registry } from './registries-conf.ts';

/** 4.19+ writes additional-layer-store-auth-helper (containers/image >= 5.32); 4.13-4.18 does not. */
export type RenderLayout = '4.19' | '4.13';

function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\u${c.toString(16).padStart(4, '0').toUpperCase()}`;
    else out += ch;
  }
  return `${out}"`;
}

export function encodeRegistriesConf(
  search: readonly string[],
  registries: readonly Registry[],
  layout: RenderLayout = '4.19',
): string {
  const lines: string[] = [];
  lines.push(`unqualified-search-registries = [${search.map(quote).join(', ')}]`);
  lines.push('short-name-mode = ""');
  if (layout === '4.19') lines.push('additional-layer-store-auth-helper = ""');
  for (const r of registries) {
    lines.push('', '[[registry]]', `  prefix = ${quote(r.prefix)}`);
    if (r.location !== '') lines.push(`  location = ${quote(r.location)}`);
    if (r.insecure) lines.push('  insecure = true');
    if (r.blocked) lines.push('  blocked = true');
    if (r.mirrorByDigestOnly) lines.push('  mirror-by-digest-only = true');
    for (const m of r.mirrors) {
      lines.push('', '  [[registry.mirror]]', `    location = ${quote(m.location)}`);
      if (m.insecure) lines.push('    insecure = true');
      if (m.pullFromMirror !== '') lines.push(`    pull-from-mirror = ${quote(m.pullFromMirror)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The template file nodes keep when the MCO ships no registries.conf (01-<pool>-container-runtime). */
export const TEMPLATE_REGISTRIES_CONF = "unqualified-search-registries = ['registry.access.redhat.com', 'docker.io']\n";
