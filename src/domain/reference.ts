// Image references as containers/image parses them (docker/reference grammar plus the docker transport's
// rules): docker.io default domain, library/ for official images, :latest for bare names, lowercase repository
// paths, 255-character names, validated digests. This parser is a security boundary: a reference that passes it
// is what later travels to a node, so it accepts nothing outside the grammar.
import { EngineError } from './engine-error.ts';

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainPattern = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const namePattern = `(?:${domainPattern}/)?${pathComponent}(?:/${pathComponent})*`;

const referenceRe = new RegExp(`^(${namePattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const anchoredNameRe = new RegExp(`^(?:(${domainPattern})/)?(${pathComponent}(?:/${pathComponent})*)$`);
const anchoredDomainRe = new RegExp(`^${domainPattern}$`);
const anchoredIdentifierRe = /^[a-f0-9]{64}$/;
const anchoredTagRe = new RegExp(`^${tagPattern}$`);

export const NAME_TOTAL_LENGTH_MAX = 255;
const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';

/** Digest algorithms go-digest knows, with their hex length. */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ImageReference {
  /** Registry host[:port]. */
  domain: string;
  /** Repository path below the domain. */
  path: string;
  tag?: string;
  digest?: string;
}

export const ERR = {
  invalidFormat: 'invalid reference format',
  lowercase: 'repository name must be lowercase',
  empty: 'repository name must have at least one component',
  tooLong: `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`,
  notCanonical: 'repository name must be canonical',
  tagAndDigest: 'Docker references with both a tag and digest are currently not supported',
} as const;

/** name = domain/path, as containers/image's Named.Name(); just the path when the grammar found no domain. */
export function refName(ref: ImageReference): string {
  return ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
}

/** The full string: name[:tag][@digest]. */
export function refString(ref: ImageReference): string {
  return (
    refName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '')
  );
}

export function isDigested(ref: ImageReference): boolean {
  return ref.digest !== undefined;
}

function validateDigest(d: string): void {
  const i = d.indexOf(':');
  const algorithm = d.slice(0, i);
  const hex = d.slice(i + 1);
  const len = DIGEST_HEX_LENGTH[algorithm];
  if (len === undefined) throw new EngineError('reference', 'unsupported digest algorithm');
  if (hex.length !== len) throw new EngineError('reference', 'invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) throw new EngineError('reference', 'invalid checksum digest format');
}

/** docker/reference Parse: the grammar, the length limit and the digest check. No normalization. */
export function parseReference(s: string): ImageReference {
  const m = referenceRe.exec(s);
  if (m === null) {
    if (s === '') throw new EngineError('reference', ERR.empty);
    if (referenceRe.test(s.toLowerCase())) throw new EngineError('reference', ERR.lowercase);
    throw new EngineError('reference', ERR.invalidFormat);
  }
  const name = m[1] ?? '';
  if (name.length > NAME_TOTAL_LENGTH_MAX) throw new EngineError('reference', ERR.tooLong);
  const nm = anchoredNameRe.exec(name);
  if (nm === null) throw new EngineError('reference', ERR.invalidFormat);
  const ref: ImageReference = { domain: nm[1] ?? '', path: nm[2] ?? '' };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) {
    validateDigest(m[3]);
    ref.digest = m[3];
  }
  return ref;
}

function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  if (i === -1 || (!/[.:]/.test(name.slice(0, i)) && name.slice(0, i) !== 'localhost')) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = name.slice(0, i);
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return [domain, remainder];
}

/** docker/reference ParseNormalizedNamed: docker.io and library/ defaults, lowercase check. */
export function parseNormalizedNamed(s: string): ImageReference {
  if (anchoredIdentifierRe.test(s)) {
    throw new EngineError('reference', `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) {
    throw new EngineError('reference', `${ERR.invalidFormat}: ${ERR.lowercase}`);
  }
  return parseReference(`${domain}/${remainder}`);
}

/** docker/reference ParseNamed: the string must already be in its normalized form. */
export function parseNamed(s: string): ImageReference {
  const ref = parseNormalizedNamed(s);
  if (refString(ref) !== s) throw new EngineError('reference', ERR.notCanonical);
  return ref;
}

/**
 * What the docker transport does with a user's reference: normalize, default to :latest, refuse tag+digest.
 * This is the reference CRI-O and podman resolve against registries.conf.
 */
export function parsePullReference(s: string): ImageReference {
  const ref = parseNormalizedNamed(s.startsWith('//') ? s.slice(2) : s);
  if (ref.tag !== undefined && ref.digest !== undefined) throw new EngineError('reference', ERR.tagAndDigest);
  if (ref.tag === undefined && ref.digest === undefined) ref.tag = 'latest';
  return ref;
}

export function isValidDomain(s: string): boolean {
  return anchoredDomainRe.test(s);
}

/**
 * Names the part of an input that broke the grammar, for one-line errors a human can act on.
 * Returns undefined when no single part can be blamed.
 */
export function describeBadPart(input: string): string | undefined {
  if (input.length === 0) return 'the reference is empty';
  // eslint-disable-next-line no-control-regex
  const ctl = /[\u0000-\u0020\u007f]/.exec(input);
  if (ctl !== null)
    return (
      `character ${JSON.stringify(ctl[0])} at position ${ctl.index + 1} ` +
      `is not allowed (no spaces or control characters)`
    );
  if (input.includes('://')) return 'drop the URL scheme: a reference is host/path:tag, not a URL';
  const at = input.indexOf('@');
  const namePart = at >= 0 ? input.slice(0, at) : input;
  const digest = at >= 0 ? input.slice(at + 1) : undefined;
  if (digest !== undefined) {
    if (!new RegExp(`^${digestPattern}$`).test(digest))
      return `digest "${digest}" is not algorithm:hex with at least 32 hex digits`;
    const [alg, hex] = digest.split(':');
    const len = DIGEST_HEX_LENGTH[alg ?? ''];
    if (len === undefined) return `digest algorithm "${alg}" is not one of sha256, sha384, sha512`;
    if ((hex ?? '').length !== len)
      return `${alg} digest must have ${len} hex digits, "${digest}" has ${(hex ?? '').length}`;
    if (!/^[a-f0-9]+$/.test(hex ?? '')) return `digest hex must be lowercase: "${digest}"`;
  }
  const lastSlash = namePart.lastIndexOf('/');
  const colon = namePart.indexOf(':', lastSlash + 1);
  const name = colon >= 0 ? namePart.slice(0, colon) : namePart;
  const tag = colon >= 0 ? namePart.slice(colon + 1) : undefined;
  if (tag !== undefined && !anchoredTagRe.test(tag)) {
    return `tag "${tag}" must be 1-128 characters of letters, digits, "_", "." or "-", not starting with "." or "-"`;
  }
  const [domain, remainder] = splitDockerDomain(name);
  if (name !== remainder && name.startsWith(domain) && !anchoredDomainRe.test(domain))
    return `registry host "${domain}" is not a valid host[:port]`;
  if (remainder.toLowerCase() !== remainder) return `repository path "${remainder}" must be lowercase`;
  for (const component of remainder.split('/')) {
    if (!new RegExp(`^${pathComponent}$`).test(component)) {
      return `path component "${component}" must be lowercase letters and digits joined by ".", "_", "__" or "-"`;
    }
  }
  if (`${domain}/${remainder}`.length > NAME_TOTAL_LENGTH_MAX)
    return `the name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`;
  return undefined;
}
