// What a CLI command gets from the process: streams and environment, injectable for tests.
import type { Readable, Writable } from 'node:stream';
import type { Env } from '../settings/settings-reader.ts';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: Env;
}

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** The pull itself would fail (config, reference or rewrite error), or the evidence shows a failure. */
  pullFails: 1,
  /** Bad usage or bad input. */
  usage: 2,
} as const;
