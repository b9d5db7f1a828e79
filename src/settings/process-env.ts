// The one place that reads process.env (ESLint forbids it elsewhere in src/ and bin/): the composition roots call
// this and hand the snapshot down, so tests pass their own environment.
import type { Env } from './settings-reader.ts';

export function processEnv(): Env {
  return { ...process.env };
}
