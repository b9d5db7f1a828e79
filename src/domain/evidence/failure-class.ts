// Classifies the text of `Accessing "<ref>" failed: <error>` into an AttemptOutcome. The order of the checks
// matters: a DNS failure can end in "connection refused" (the resolver's port), a TLS handshake can time out.
import type { AttemptOutcome } from './evidence-types.ts';

const RULES: readonly [AttemptOutcome, RegExp][] = [
  ['short-name-ambiguous', /short name mode is enforcing|short-name resolution enforced|returns ambiguous list/],
  [
    'rejected-by-policy',
    /is rejected by policy|Source image rejected|signature validation failed|A signature was required/i,
  ],
  ['blocked', /\bis blocked in\b/],
  // containers/image 5.23.1 docker/errors.go: a 429 on the ping or a token request is ErrTooManyRequests ("too many
  // requests to registry", :14, :33-34); one with a body that is not distribution's JSON (a proxy's HTML or text
  // page) is "StatusCode: 429, <first 50 bytes of the body>" (registryHTTPResponseToError, :48-58)
  ['rate-limited', /toomanyrequests|too many requests|status code 429|\bStatusCode: 429\b|\b429 Too Many|rate limit/i],
  ['dns', /\blookup \S+( on \S+)?: |no such host|server misbehaving|Temporary failure in name resolution/i],
  ['timeout', /i\/o timeout|deadline exceeded|Client\.Timeout|handshake timeout|timed out/i],
  [
    'tls',
    new RegExp(
      String.raw`x509: |tls: |certificate (signed by unknown authority|has expired|is not valid)|` +
        String.raw`server gave HTTP response to HTTPS client|first record does not look like a TLS handshake`,
      'i',
    ),
  ],
  ['connection-refused', /connection refused/i],
  ['unreachable', /no route to host|network is unreachable|connection reset by peer|host is down|\bEOF\b/i],
  [
    'unauthorized',
    /unauthorized|authentication required|status code 401|\b401 Unauthorized|invalid username\/password/i,
  ],
  ['forbidden', /denied|forbidden|status code 403|\b403\b/i],
  [
    'manifest-unknown',
    /manifest unknown|name unknown|not found|status code 404|NAME_UNKNOWN|MANIFEST_UNKNOWN|does not exist/i,
  ],
];

/**
 * @param detail the error text after `failed: `
 * @param reference the candidate, removed from the text first so that a repository named like an error
 *   ("x509-tools", "denied-images") cannot decide the class
 */
export function classifyFailure(detail: string, reference = ''): AttemptOutcome {
  let text = detail;
  if (reference !== '') {
    const at = reference.search(/[@:][^/]*$/);
    const name = at > 0 ? reference.slice(0, at) : reference;
    text = text.split(reference).join(' ').split(name).join(' ');
  }
  for (const [outcome, re] of RULES) if (re.test(text)) return outcome;
  return 'other';
}
