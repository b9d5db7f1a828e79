// Bytes -> lines with bounded memory: decodes UTF-8 leniently (invalid bytes become U+FFFD, a sequence cut
// by a chunk boundary is joined), splits on \n, and cuts over-long lines so that a log without newlines cannot
// make one string grow without limit.

export const MAX_LINE_CHARS = 64 * 1024;

export class LineSplitter {
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  private readonly emit: (line: string) => void;
  private carry = '';
  /** The current line already exceeded MAX_LINE_CHARS: drop the rest of it. */
  private skipping = false;
  truncatedLines = 0;

  constructor(emit: (line: string) => void) {
    this.emit = emit;
  }

  push(chunk: Uint8Array): void {
    this.pushText(this.decoder.decode(chunk, { stream: true }));
  }

  /** For callers that already hold text. */
  pushText(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        this.keep(text.slice(start));
        return;
      }
      if (this.carry === '' && !this.skipping && nl - start <= MAX_LINE_CHARS) {
        this.emit(text.slice(start, nl));
      } else {
        this.keep(text.slice(start, nl));
        this.flush();
      }
      start = nl + 1;
    }
  }

  /** Emits the last line if the input did not end with a newline. */
  end(): void {
    this.keep(this.decoder.decode());
    if (this.carry !== '' || this.skipping) this.flush();
  }

  private keep(part: string): void {
    if (this.skipping || part === '') return;
    const room = MAX_LINE_CHARS - this.carry.length;
    if (part.length > room) {
      this.carry += part.slice(0, room);
      this.skipping = true;
      this.truncatedLines++;
      return;
    }
    this.carry += part;
  }

  private flush(): void {
    const line = this.carry;
    this.carry = '';
    this.skipping = false;
    this.emit(line);
  }
}
