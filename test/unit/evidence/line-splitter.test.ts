import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_CHARS } from '../../../src/domain/evidence/line-splitter.ts';

function split(chunks: Uint8Array[]): { lines: string[]; truncated: number } {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  for (const c of chunks) s.push(c);
  s.end();
  return { lines, truncated: s.truncatedLines };
}

describe('LineSplitter', () => {
  it('joins a UTF-8 sequence cut by a chunk boundary', () => {
    const bytes = Buffer.from('é\nü');
    expect(split([bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4)]).lines).toEqual(['é', 'ü']);
  });

  it('turns invalid UTF-8 into U+FFFD instead of failing', () => {
    expect(split([Uint8Array.from([0x61, 0xff, 0xfe, 0x0a, 0x62])]).lines).toEqual(['a\uFFFD\uFFFD', 'b']);
  });

  it('cuts an endless line and counts it', () => {
    const big = Buffer.alloc(MAX_LINE_CHARS * 3, 0x61);
    const r = split([big.subarray(0, 100_000), big.subarray(100_000), Buffer.from('\nnext\n')]);
    expect(r.lines.map((l) => l.length)).toEqual([MAX_LINE_CHARS, 4]);
    expect(r.truncated).toBe(1);
  });

  it('emits nothing for empty input and the last line without newline', () => {
    expect(split([]).lines).toEqual([]);
    expect(split([Buffer.from('a\nb')]).lines).toEqual(['a', 'b']);
  });
});
