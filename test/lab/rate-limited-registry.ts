// A registry stand-in for the lab that answers 429 Too Many Requests the ways real registries and the proxies in
// front of them do, so that containers/image reports each in its own words. Run inside the lab's namespaces by
// Lab.startRateLimited():
//   node rate-limited-registry.ts ADDR LOGFILE [CERT KEY]
//   env RETRY_AFTER: the Retry-After header (unset: none); env MODE: one of MODES below (unset: manifest-json)
// One line per request goes to LOGFILE (the registry-side log of the capture).
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';

// Docker Hub's wording of its pull limit
const RATE_LIMIT_MESSAGE =
  'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: ' +
  'https://www.docker.com/increase-rate-limit';
const DISTRIBUTION_429 = JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: RATE_LIMIT_MESSAGE }] });

// nginx's built-in 429 page (nginx src/http/ngx_http_special_response.c:244-248 ngx_http_error_429_page, and the
// tail ngx_http_error_tail at :35-38 that `server_tokens off` selects), sent as text/html (:816-817). Quay's nginx
// answers its rate limits with it: conf/nginx/rate-limiting.conf.jnj:89 `limit_req_status 429;`, no error_page
// for 429, server_tokens off (conf/nginx/http-base.conf.jnj:22); checked at quay/quay ffba0c70e, nginx 3f6f7824d.
const NGINX_429_PAGE =
  '<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n' +
  '<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

// Harbor's proxy cache (goharbor/harbor c50c7ddd): src/server/middleware/repoproxy/proxy.go:79 tooManyRequestsError
// (code TOO_MANY_REQUEST, src/lib/errors/const.go:31), sent for a manifest at :213-214 (the upstream rate-limited)
// and :359-362 (its upstream connection limit) by src/lib/http/error.go:53-66: `application/json; charset=utf-8`,
// the errors envelope of src/lib/errors/errors.go:99-121, and a newline (Fprintln). TOO_MANY_REQUEST is not a
// distribution error code: containers/image reads it as "unknown".
const HARBOR_429 = `${JSON.stringify({
  errors: [{ code: 'TOO_MANY_REQUEST', message: 'too many requests to upstream registry' }],
})}\n`;

/**
 * - manifest-json: /v2/ answers 200 (the ping passes, as Docker Hub's does), every manifest request 429 with the
 *   distribution spec's JSON error, code TOOMANYREQUESTS (Docker Hub's body).
 * - manifest-html: /v2/ 200, manifests 429 with nginx's HTML page (Quay's nginx limits
 *   `location ~ /v2/([^/]+)\/[^/]+/manifests/`, conf/nginx/server-base.conf.jnj:262-282).
 * - manifest-harbor: /v2/ 200, manifests 429 with Harbor's JSON body (above).
 * - ping-html: every /v2 request, the ping included, 429 with nginx's HTML page (Quay's `location ~ ^/v2`,
 *   server-base.conf.jnj:314-339), while `/v1/_ping` answers 200 `true` text/plain, unlimited
 *   (server-base.conf.jnj:369-374): containers/image then concludes a V1 registry.
 * - all-json: every request, /v2/ and /v1/_ping included, 429 with the TOOMANYREQUESTS JSON (a registry or a CDN in
 *   front of it that limits every request).
 */
export const MODES = ['manifest-json', 'manifest-html', 'manifest-harbor', 'ping-html', 'all-json'] as const;
export type RateLimitMode = (typeof MODES)[number];

const [addr, logFile, cert, key] = process.argv.slice(2);
// run as a script (not when a test imports MODES)
const main = process.argv[1]?.endsWith('rate-limited-registry.ts') === true;
const mode = (process.env.MODE ?? 'manifest-json') as RateLimitMode;
if (main && (addr === undefined || logFile === undefined || !/^[\d.]+:\d+$/.test(addr) || !MODES.includes(mode))) {
  process.stderr.write(`usage: [MODE=${MODES.join('|')}] rate-limited-registry.ts HOST:PORT LOGFILE [CERT KEY]\n`);
  process.exit(2);
}
const retryAfter = process.env.RETRY_AFTER;

type Answer = [status: number, contentType: string, body: string];

function answer(path: string): Answer {
  const ping = path === '/v2/' || path === '/v2';
  const manifest = /^\/v2\/.+\/manifests\/[^/]+$/.test(path);
  const html: Answer = [429, 'text/html', NGINX_429_PAGE];
  const json: Answer = [429, 'application/json', DISTRIBUTION_429];
  switch (mode) {
    case 'all-json':
      return json;
    case 'ping-html':
      if (path === '/v1/_ping') return [200, 'text/plain', 'true'];
      if (path.startsWith('/v2')) return html;
      break;
    default:
      if (ping) return [200, 'application/json', '{}'];
      if (manifest && mode === 'manifest-html') return html;
      if (manifest && mode === 'manifest-harbor') return [429, 'application/json; charset=utf-8', HARBOR_429];
      if (manifest) return json;
  }
  return [
    404,
    'application/json',
    JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }),
  ];
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const [status, contentType, body] = answer(path);
  res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
  res.writeHead(status, {
    'Content-Type': contentType,
    ...(status === 429 && retryAfter !== undefined ? { 'Retry-After': retryAfter } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  appendFileSync(
    logFile!,
    `${new Date().toISOString()} ${req.method ?? '?'} ${path} ${status} "${req.headers['user-agent'] ?? ''}"\n`,
  );
}

if (main) {
  const server =
    cert !== undefined && key !== undefined
      ? createHttps({ cert: readFileSync(cert), key: readFileSync(key) }, handle)
      : createHttp(handle);
  const [host, port] = addr!.split(':');
  server.listen(Number(port), host, () => {
    appendFileSync(
      logFile!,
      `listening on ${addr} (${cert !== undefined ? 'https' : 'http'}, mode ${mode}, ` +
        `Retry-After: ${retryAfter ?? 'none'})\n`,
    );
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
