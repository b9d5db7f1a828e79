import { describe, expect, it } from 'vitest';
import { cleanRawLine, parseLogLine, unquoteGo } from '../../../src/domain/evidence/log-line.ts';

describe('parseLogLine', () => {
  it('reads logrus text framing and undoes the quoting', () => {
    expect(
      parseLogLine('time="2026-11-27T13:10:29Z" level=debug msg="Trying to access \\"a.io/b@sha256:1\\""'),
    ).toEqual({
      level: 'debug',
      text: 'Trying to access "a.io/b@sha256:1"',
    });
  });

  it('reads CRI-O info lines behind a journald prefix', () => {
    const l = parseLogLine(
      'Nov 27 13:10:29 node-1 crio[1234]: time="2026-11-27T13:10:29Z" ' +
        'level=info msg="Trying to access \\"m.io/x:1\\"" id=abc',
    );
    expect(l).toEqual({ level: 'info', text: 'Trying to access "m.io/x:1"' });
  });

  it('reads the TTY framing with colours, padding and CRLF', () => {
    const l = parseLogLine('\x1b[36mDEBU\x1b[0m[0000] Trying to access "127.0.0.1:5002/x@sha256:1"          \r');
    expect(l).toEqual({ level: 'debug', text: 'Trying to access "127.0.0.1:5002/x@sha256:1"' });
    expect(parseLogLine('WARN[0001] Failed, retrying in 1s ... (1/3). Error: x').level).toBe('warning');
  });

  it('keeps plain lines as they are', () => {
    expect(parseLogLine('Error: initializing source docker://a.io/b:1: x')).toEqual({
      level: null,
      text: 'Error: initializing source docker://a.io/b:1: x',
    });
  });

  it('keeps what is there of a truncated quoted message', () => {
    expect(parseLogLine('time="x" level=debug msg="Trying to access \\"a.io/b').text).toBe('Trying to access "a.io/b');
  });

  it('reads an unquoted logrus value', () => {
    expect(parseLogLine('time="x" level=info msg=Done').text).toBe('Done');
  });
});

describe('unquoteGo / cleanRawLine', () => {
  it('handles Go escapes, keeps malformed ones', () => {
    expect(unquoteGo('a\\nb\\t\\"c\\\\ \\u00e9 \\xff \\q')).toBe('a\nb\t"c\\ é \uFFFD \\q');
  });

  it('keeps only the last redraw of a progress bar', () => {
    expect(cleanRawLine('Copying blob 10%\rCopying blob 100%\r')).toBe('Copying blob 100%');
  });
});
