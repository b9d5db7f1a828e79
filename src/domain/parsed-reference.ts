// A reference as it travels from the front door (Slack, CLI) to the engine and the node: what the user typed,
// for messages, and its parse, so no later step parses (or validates) it again.
import { parsePullReference, refString } from './reference.ts';
import type { ImageReference } from './reference.ts';

export interface ParsedReference {
  /** As typed (Slack formatting removed): the answer quotes it. */
  readonly input: string;
  readonly ref: ImageReference;
  /** refString(ref): name[:tag][@digest], :latest made explicit. What reaches a node. */
  readonly canonical: string;
}

/** Through the grammar once; throws the EngineError of parsePullReference. */
export function toParsedReference(input: string): ParsedReference {
  const ref = parsePullReference(input);
  return { input, ref, canonical: refString(ref) };
}
