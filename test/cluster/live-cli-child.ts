// Runs `icsp why IMAGE --live ...` (liveWhyCommand) in its own process, for the SIGTERM test: the parent
// signals this process in the middle of a check and then asserts that no debug pod remains.
import { liveWhyCommand } from '../../src/cli/live-why-command.ts';

const code = await liveWhyCommand(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
process.exit(code);
