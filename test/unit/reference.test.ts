import { describe, expect, it } from 'vitest';
import { EngineError } from '../../src/domain/engine-error.ts';
import { describeBadPart, parseNamed, parsePullReference, refString } from '../../src/domain/reference.ts';

const norm = (s: string): string => refString(parsePullReference(s));
const D = `sha256:${'a'.repeat(64)}`;

describe('reference normalization (docker/reference + docker transport)', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['myorg/app:2', 'docker.io/myorg/app:2'],
    ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1'],
    ['localhost/img', 'localhost/img:latest'],
    ['localhost:5000/img', 'localhost:5000/img:latest'],
    ['quay.io/ns/app@' + D, 'quay.io/ns/app@' + D],
    ['Quay.IO/ns/app:v1', 'Quay.IO/ns/app:v1'],
    ['registry:5000/a/b/c:t', 'registry:5000/a/b/c:t'],
  ])('%s -> %s', (input, expected) => expect(norm(input)).toBe(expected));

  it('refuses tag and digest together, as the docker transport does', () => {
    expect(() => parsePullReference(`quay.io/a:1@${D}`)).toThrow('both a tag and digest');
  });

  it.each([
    ['quay.io/Foo/img', 'repository name must be lowercase'],
    ['quay.io/foo/img@sha256:abc', 'invalid reference format'],
    [`quay.io/foo/img@sha256:${'a'.repeat(40)}`, 'invalid checksum digest length'],
    [`quay.io/foo/img@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    [`quay.io/${'a'.repeat(260)}`, 'must not be more than 255 characters'],
    ['quay.io/foo:' + 't'.repeat(129), 'invalid reference format'],
    ['', 'invalid reference format'],
    ['a'.repeat(64), 'cannot specify 64-byte hexadecimal strings'],
  ])('%s is refused (%s)', (input, msg) => {
    expect(() => parsePullReference(input)).toThrow(msg);
    try {
      parsePullReference(input);
    } catch (e) {
      expect((e as EngineError).stage).toBe('reference');
    }
  });

  it.each([
    'quay.io/a; rm -rf /',
    'quay.io/a$(id)',
    '-v',
    '--authfile=/x quay.io/a',
    'quay.io/a\nb',
    'quay.io/a`id`',
    "quay.io/a'b",
    'quay.io/a b:1',
    'https://quay.io/a',
  ])('shell and argv tricks never pass the grammar: %j', (input) =>
    expect(() => parsePullReference(input)).toThrow(EngineError),
  );

  it('ParseNamed insists on the canonical form (what a rewrite must produce)', () => {
    expect(() => parseNamed('docker.io/busybox')).toThrow('repository name must be canonical');
    expect(refString(parseNamed('docker.io/library/busybox'))).toBe('docker.io/library/busybox');
  });
});

describe('describeBadPart names what to fix', () => {
  it.each([
    ['quay.io/Foo/img:1', 'must be lowercase'],
    ['quay.io/foo/img@sha256:abc', 'at least 32 hex digits'],
    [`quay.io/foo/img@sha256:${'a'.repeat(40)}`, 'must have 64 hex digits'],
    ['quay.io/foo:bad tag', 'not allowed'],
    ['quay.io/foo:-x', 'tag "-x"'],
    ['https://quay.io/foo', 'URL scheme'],
    ['quay.io/foo__-bar', 'path component "foo__-bar"'],
    ['', 'empty'],
  ])('%j -> %s', (input, expected) => expect(describeBadPart(input)).toContain(expected));
});

describe('the grammar is linear on hostile input', () => {
  it.each([30, 1000, 5000])('%i characters that almost match are refused in milliseconds', (n) => {
    for (const input of [
      `${'a'.repeat(n)}!`,
      `quay.io/${'a'.repeat(n)}!`,
      `quay.io/${'a-'.repeat(n)}!`,
      `${'a.'.repeat(n)}/x!`,
    ]) {
      const t0 = performance.now();
      expect(() => parsePullReference(input)).toThrow(EngineError);
      describeBadPart(input);
      expect(performance.now() - t0).toBeLessThan(200);
    }
  });
});
