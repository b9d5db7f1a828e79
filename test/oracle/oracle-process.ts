// Runs the Go oracle (test/oracle/cimage) once for a batch of cases: JSON lines in, JSON lines out.
import { spawn } from 'node:child_process';
import type { CaseAnswer } from './answers.ts';
import type { OracleCase } from './generate.ts';

export async function askOracle(binary: string, cases: readonly OracleCase[]): Promise<Map<number, CaseAnswer>> {
  const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  child.stdin.end(cases.map((c) => JSON.stringify(c)).join('\n') + '\n');
  const code = await exited;
  if (code !== 0)
    throw new Error(`the Go oracle ${binary} exited with ${code}: ${Buffer.concat(err).toString('utf8').trim()}`);
  const answers = new Map<number, CaseAnswer>();
  for (const line of Buffer.concat(out).toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    const a = JSON.parse(line) as CaseAnswer;
    answers.set(a.id, a);
  }
  if (answers.size !== cases.length) throw new Error(`the Go oracle answered ${answers.size} of ${cases.length} cases`);
  return answers;
}
