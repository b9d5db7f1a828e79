// Reads a log file or stream chunk by chunk into the pure PullTextParser (bounded memory: one chunk and one
// line at a time). The parser decides from the first lines whether it reads a debug log or what the kubelet said.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { EventContext } from '../domain/evidence/event-parser.ts';
import { LineSplitter } from '../domain/evidence/line-splitter.ts';
import { PullTextParser } from '../domain/evidence/pull-text-parser.ts';
import type { TextKind } from '../domain/evidence/pull-text-parser.ts';
import type { PullEvidence } from '../domain/evidence/evidence-types.ts';

export interface ReadEvidence {
  kind: TextKind;
  evidence: PullEvidence;
  /** What the kubelet said, when the text was an event / waiting message / describe paste. */
  event: EventContext | null;
  bytes: number;
  /** Lines longer than the splitter's limit, cut. */
  truncatedLines: number;
}

/** @param image the image asked about (--image): picks it in a paste that names several */
export async function readEvidenceFromStream(stream: Readable, image: string | null = null): Promise<ReadEvidence> {
  const parser = new PullTextParser(image);
  const splitter = new LineSplitter((line) => parser.push(line));
  let bytes = 0;
  for await (const chunk of stream) {
    const buf: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    bytes += buf.length;
    splitter.push(buf);
  }
  splitter.end();
  const r = parser.finish();
  return { kind: r.kind, evidence: r.evidence, event: r.event, bytes, truncatedLines: splitter.truncatedLines };
}

export function readEvidenceFromFile(path: string, image: string | null = null): Promise<ReadEvidence> {
  return readEvidenceFromStream(createReadStream(path, { highWaterMark: 256 * 1024 }), image);
}
