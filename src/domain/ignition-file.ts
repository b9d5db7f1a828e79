// Reads a file out of a (rendered) MachineConfig: the contents are an RFC 2397 data URL (base64 or
// percent-encoded), optionally gzip-compressed, as the MCO's DecodeIgnitionFileContents accepts.
import { gunzipSync } from 'node:zlib';
import { EngineError } from './engine-error.ts';
import type { MachineConfig } from '../types/machineconfig.ts';

export const REGISTRIES_CONF_PATH = '/etc/containers/registries.conf';

export function decodeDataUrl(source: string): Buffer {
  if (!source.startsWith('data:')) throw new EngineError('input', `not a data URL: ${source.slice(0, 40)}`);
  const comma = source.indexOf(',');
  if (comma === -1) throw new EngineError('input', 'data URL without ","');
  const meta = source.slice(5, comma);
  const data = source.slice(comma + 1);
  if (meta.split(';').includes('base64')) return Buffer.from(data, 'base64');
  try {
    return Buffer.from(decodeURIComponent(data), 'utf8');
  } catch {
    throw new EngineError('input', 'data URL with invalid percent-encoding');
  }
}

/** The text of `path` in the MachineConfig, or null when the MC does not write it. */
export function machineConfigFile(mc: MachineConfig, path: string = REGISTRIES_CONF_PATH): string | null {
  const files = mc.spec.config?.storage?.files ?? [];
  // Later entries for the same path win, as in a merge.
  const f = [...files].reverse().find((x) => x.path === path);
  if (f === undefined) return null;
  const raw = decodeDataUrl(f.contents?.source ?? 'data:,');
  const compression = f.contents?.compression ?? '';
  if (compression === '') return raw.toString('utf8');
  if (compression === 'gzip') return gunzipSync(raw).toString('utf8');
  throw new EngineError(
    'input',
    `${mc.metadata.name}: ${path}: unsupported compression ${JSON.stringify(compression)}`,
  );
}
