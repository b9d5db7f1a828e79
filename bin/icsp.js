#!/usr/bin/env node
// Entry point of the `icsp` CLI. Node 24 runs the TypeScript sources directly (type stripping).
import { main } from '../src/cli/main.ts';
import { processEnv } from '../src/settings/process-env.ts';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: processEnv(),
});
