// Reads a log file or stream chunk by chunk into the pure PodmanLogParser (bounded memory: one chunk and one
// line at a time).
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { LineSplitter } from '../domain/evidence/line-splitter.ts';
import { PodmanLogParser } from '../domain/evidence/podman-log-parser.ts';
import type { PullEvidence } from '../domain/evidence/evidence-types.ts';

export interface ReadEvidence {
  evidence: PullEvidence;
  bytes: number;
  /** Lines longer than the splitter's limit, cut. */
  truncatedLines: number;
}

export async function readEvidenceFromStream(stream: Readable): Promise<ReadEvidence> {
  const parser = new PodmanLogParser();
  const splitter = new LineSplitter((line) => parser.push(line));
  let bytes = 0;
  for await (const chunk of stream) {
    const buf: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    bytes += buf.length;
    splitter.push(buf);
  }
  splitter.end();
  return { evidence: parser.finish(), bytes, truncatedLines: splitter.truncatedLines };
}

export function readEvidenceFromFile(path: string): Promise<ReadEvidence> {
  return readEvidenceFromStream(createReadStream(path, { highWaterMark: 256 * 1024 }));
}
