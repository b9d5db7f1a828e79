// The short-name mode a CRI-O >= 1.34 node runs, from its configuration files: /etc/crio/crio.conf, then every file
// under /etc/crio/crio.conf.d/ (recursively, in filepath.Walk order, whatever the file name: OpenShift's is
// "00-default"), each decoded over the previous, so the last file that sets [crio.image] short_name_mode wins.
// "disabled" gives disabled; "enforcing", "" or nothing gives enforcing; anything else stops CRI-O from starting.
// Sources: cri-o v1.34.11 internal/criocli/criocli.go mergeConfig, pkg/config/config.go SetSystemContext, Validate.
import { parse as parseToml, TomlError } from 'smol-toml';

export interface CrioConfFile {
  /** Absolute path on the node. */
  name: string;
  toml: string;
}

export const CRIO_CONF = '/etc/crio/crio.conf';
export const CRIO_CONF_D = '/etc/crio/crio.conf.d';

export interface CrioShortNameMode {
  /** What SystemContext.ShortNameMode becomes; null when CRI-O would refuse the configuration. */
  mode: 'enforcing' | 'disabled' | null;
  /** The value after merging ("" when no file sets it). */
  value: string;
  /** The file that set it last, or null (CRI-O's default, "enforcing"). */
  setBy: string | null;
  /** Why CRI-O would not start with these files (it then runs with none of them: the node is broken). */
  problems: string[];
}

/** filepath.Walk order: component by component, each directory's entries in byte order. */
export function walkOrder(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return (pa[i] ?? '') < (pb[i] ?? '') ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** The main file first (when present), then the drop-ins in walk order. */
export function crioShortNameMode(files: readonly CrioConfFile[]): CrioShortNameMode {
  const main = files.filter((f) => f.name === CRIO_CONF);
  const dropIns = files.filter((f) => f.name !== CRIO_CONF).sort((a, b) => walkOrder(a.name, b.name));
  let value = '';
  let setBy: string | null = null;
  const problems: string[] = [];
  for (const f of [...main, ...dropIns]) {
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(f.toml) as Record<string, unknown>;
    } catch (e) {
      const msg = e instanceof TomlError ? (e.message.split('\n')[0] ?? '') : String(e);
      problems.push(`unable to decode configuration ${f.name}: ${msg}`);
      continue;
    }
    const crio = doc['crio'];
    const image = typeof crio === 'object' && crio !== null ? (crio as Record<string, unknown>)['image'] : undefined;
    const v =
      typeof image === 'object' && image !== null ? (image as Record<string, unknown>)['short_name_mode'] : undefined;
    if (v === undefined) continue;
    if (typeof v !== 'string') {
      problems.push(`unable to decode configuration ${f.name}: short_name_mode must be a string`);
      continue;
    }
    value = v;
    setBy = f.name;
  }
  if (value !== '' && value !== 'enforcing' && value !== 'disabled')
    problems.push(`invalid short name mode ${JSON.stringify(value)}`);
  const mode = problems.length > 0 ? null : value === 'disabled' ? 'disabled' : 'enforcing';
  return { mode, value, setBy, problems };
}
