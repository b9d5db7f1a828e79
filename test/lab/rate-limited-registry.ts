// A registry stand-in for the lab that rate-limits every manifest request: `GET /v2/` answers 200 (the ping passes,
// as Docker Hub's does), `/v2/<name>/manifests/<ref>` answers 429 with the distribution spec's JSON error
// (code TOOMANYREQUESTS), so containers/image reports it in its own words. Run inside the lab's namespaces by
// Lab.startRateLimited():
//   node rate-limited-registry.ts ADDR LOGFILE [CERT KEY]   (env RETRY_AFTER: the Retry-After header, unset: none)
// One line per request goes to LOGFILE (the registry-side log of the capture).
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';

// Docker Hub's wording of its pull limit
const RATE_LIMIT_MESSAGE =
  'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: ' +
  'https://www.docker.com/increase-rate-limit';

const [addr, logFile, cert, key] = process.argv.slice(2);
if (addr === undefined || logFile === undefined || !/^[\d.]+:\d+$/.test(addr)) {
  process.stderr.write('usage: rate-limited-registry.ts HOST:PORT LOGFILE [CERT KEY]\n');
  process.exit(2);
}
const retryAfter = process.env.RETRY_AFTER;

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  let status: number;
  res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
  if (path === '/v2/' || path === '/v2') {
    status = 200;
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end('{}');
  } else if (/^\/v2\/.+\/manifests\/[^/]+$/.test(path)) {
    status = 429;
    const body = JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: RATE_LIMIT_MESSAGE }] });
    res.writeHead(status, {
      'Content-Type': 'application/json',
      ...(retryAfter !== undefined ? { 'Retry-After': retryAfter } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  } else {
    status = 404;
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }));
  }
  appendFileSync(
    logFile!,
    `${new Date().toISOString()} ${req.method ?? '?'} ${path} ${status} "${req.headers['user-agent'] ?? ''}"\n`,
  );
}

const server =
  cert !== undefined && key !== undefined
    ? createHttps({ cert: readFileSync(cert), key: readFileSync(key) }, handle)
    : createHttp(handle);
const [host, port] = addr.split(':');
server.listen(Number(port), host, () => {
  appendFileSync(
    logFile,
    `listening on ${addr} (${cert !== undefined ? 'https' : 'http'}, Retry-After: ${retryAfter ?? 'none'})\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
