// How much input the CLI and the offline bot accept: a byte cap for policy files, stdin and registries.conf, and
// the YAML alias limits. From the settings table (defaults that no real cluster's objects come near).
import { DEFAULT_YAML_LIMITS } from '../domain/yaml-limits.ts';
import type { YamlLimits } from '../domain/yaml-limits.ts';
import { SettingsReader } from '../settings/settings-reader.ts';
import type { Env } from '../settings/settings-reader.ts';

export interface InputLimits extends YamlLimits {
  /** Bytes of policy/registries.conf input one command reads, all files and stdin together. */
  maxInputBytes: number;
}

export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_INPUT_LIMITS: InputLimits = { ...DEFAULT_YAML_LIMITS, maxInputBytes: DEFAULT_MAX_INPUT_BYTES };

/** An invalid limit setting: a usage error (exit 2). */
export class InputLimitError extends Error {}

export function inputLimitsFromEnv(env: Env): InputLimits {
  const r = new SettingsReader(env);
  const limits: InputLimits = {
    maxInputBytes: r.int('ICSP_MAX_INPUT_BYTES', { min: 1, max: Number.MAX_SAFE_INTEGER }),
    maxAliases: r.int('ICSP_YAML_MAX_ALIASES', { min: 0, max: 1_000_000_000 }),
    maxAliasNodes: r.int('ICSP_YAML_MAX_ALIAS_NODES', { min: 0, max: 1_000_000_000 }),
    maxDepth: DEFAULT_YAML_LIMITS.maxDepth,
  };
  if (r.errors.length > 0) throw new InputLimitError(r.errors.join('; '));
  return limits;
}
