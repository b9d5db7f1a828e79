// Every connection to Slack — the Web API, response_url replies, file uploads and the Socket Mode WebSocket — goes
// through one undici dispatcher: direct, or through HTTPS_PROXY / HTTP_PROXY unless NO_PROXY covers the host.
// The choice is made by one function (`routeFor`) so that what /readyz reports is what the connection does.
// TLS trust comes from Node itself: NODE_EXTRA_CA_CERTS (the cluster's trusted CA bundle) is read at process start
// and applies to direct connections, to the proxy (an https:// proxy URL) and to the tunnelled TLS behind it.
import { Agent, Dispatcher, ProxyAgent, fetch as undiciFetch } from 'undici';
import { isIP } from 'node:net';
import { SettingsReader } from '../settings/settings-reader.ts';
import type { Env } from '../settings/settings-reader.ts';
import { errorText, messageOf } from '../domain/error-text.ts';

export interface ProxySettings {
  /** Proxy for http:// and ws:// targets (HTTP_PROXY). */
  httpProxy?: string | undefined;
  /** Proxy for https:// and wss:// targets (HTTPS_PROXY); falls back to httpProxy as curl does. */
  httpsProxy?: string | undefined;
  /**
   * Hosts reached directly (NO_PROXY): `*`, names (also their subdomains), `.suffix`, `*.suffix`, IPs, CIDRs,
   * `host:port`.
   */
  noProxy?: string | undefined;
}

interface NoProxyEntry {
  host: string;
  port: number | undefined;
  cidr: { base: bigint; bits: number; v6: boolean } | undefined;
  subdomainsOnly: boolean;
}

export interface Route {
  /** The proxy URL without credentials, or undefined for a direct connection. */
  proxy: string | undefined;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'ws:': 80, 'https:': 443, 'wss:': 443 };

/** A proxy URL as it may be shown: scheme, host and port; user and password dropped. */
export function redactProxyUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(invalid proxy URL)';
  }
}

/** Removes `user:password@` from every URL in a text (error messages of proxy connections). */
export function stripUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1');
}

function ipToBigInt(ip: string): { value: bigint; v6: boolean } | undefined {
  const kind = isIP(ip);
  if (kind === 4) {
    return { value: ip.split('.').reduce((acc, p) => (acc << 8n) + BigInt(Number(p)), 0n), v6: false };
  }
  if (kind === 6) {
    const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
    const h = head === '' || head === undefined ? [] : head.split(':');
    const t = tail === undefined || tail === '' ? [] : tail.split(':');
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    if (groups.length !== 8 || groups.some((g) => g.includes('.'))) return undefined;
    return { value: groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n), v6: true };
  }
  return undefined;
}

function parseNoProxy(value: string): NoProxyEntry[] {
  const entries: NoProxyEntry[] = [];
  for (const raw of value.split(/[,\s]+/)) {
    let e = raw.trim().toLowerCase();
    if (e === '') continue;
    const slash = e.indexOf('/');
    if (slash > 0) {
      const ip = ipToBigInt(e.slice(0, slash));
      const bits = Number(e.slice(slash + 1));
      if (ip !== undefined && Number.isInteger(bits) && bits >= 0 && bits <= (ip.v6 ? 128 : 32)) {
        entries.push({ host: e, port: undefined, cidr: { base: ip.value, bits, v6: ip.v6 }, subdomainsOnly: false });
      }
      continue;
    }
    let port: number | undefined;
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
    if (bracket) {
      e = bracket[1]!;
      port = bracket[2] === undefined ? undefined : Number(bracket[2]);
    } else if (isIP(e) !== 6) {
      const m = /^(.*):(\d+)$/.exec(e);
      if (m) {
        e = m[1]!;
        port = Number(m[2]);
      }
    }
    let subdomainsOnly = false;
    if (e.startsWith('*.')) {
      e = e.slice(2);
      subdomainsOnly = true;
    } else if (e.startsWith('.')) {
      e = e.slice(1);
      subdomainsOnly = true;
    }
    if (e.endsWith('.') && e.length > 1) e = e.slice(0, -1);
    entries.push({ host: e, port, cidr: undefined, subdomainsOnly });
  }
  return entries;
}

function covered(entries: readonly NoProxyEntry[], hostname: string, port: number): boolean {
  const ip = ipToBigInt(hostname);
  for (const e of entries) {
    if (e.port !== undefined && e.port !== port) continue;
    if (e.host === '*') return true;
    if (e.cidr !== undefined) {
      if (ip === undefined || ip.v6 !== e.cidr.v6) continue;
      const width = e.cidr.v6 ? 128n : 32n;
      const shift = width - BigInt(e.cidr.bits);
      if (ip.value >> shift === e.cidr.base >> shift) return true;
      continue;
    }
    if (!e.subdomainsOnly && hostname === e.host) return true;
    if (hostname.endsWith(`.${e.host}`)) return true;
  }
  return false;
}

/** Which proxy (if any) a connection to `url` uses under these settings. */
export function routeFor(settings: ProxySettings, url: string): Route {
  const u = new URL(url);
  const hostname = u.hostname
    .replace(/^\[(.+)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  const port = u.port === '' ? (DEFAULT_PORTS[u.protocol] ?? 0) : Number(u.port);
  if (settings.noProxy !== undefined && covered(parseNoProxy(settings.noProxy), hostname, port))
    return { proxy: undefined };
  const secure = u.protocol === 'https:' || u.protocol === 'wss:';
  const proxy = secure ? (settings.httpsProxy ?? settings.httpProxy) : settings.httpProxy;
  return { proxy: proxy === undefined || proxy === '' ? undefined : proxy };
}

/** A one-line description of the route for /readyz and logs, never with credentials. */
export function describeRoute(r: Route): string {
  return r.proxy === undefined ? 'directly' : `through proxy ${redactProxyUrl(r.proxy)}`;
}

/** The proxy variables as curl reads them: lower case first, then upper case; empty means unset. */
export function proxySettingsFromEnv(env: Env): { settings: ProxySettings; errors: string[] } {
  const r = new SettingsReader(env);
  const pick = (lower: string, upper: string): string | undefined => r.raw(lower) ?? r.raw(upper);
  const settings = {
    httpProxy: pick('http_proxy', 'HTTP_PROXY'),
    httpsProxy: pick('https_proxy', 'HTTPS_PROXY'),
    noProxy: pick('no_proxy', 'NO_PROXY'),
  };
  return { settings, errors: [...r.errors, ...proxySettingsErrors(settings)] };
}

/** The passwords of the proxy URLs, for the logger's redaction. */
export function proxySecrets(s: ProxySettings): string[] {
  return [s.httpProxy, s.httpsProxy].flatMap((u) => {
    try {
      const p = u === undefined ? '' : decodeURIComponent(new URL(u).password);
      return p.length > 0 ? [p] : [];
    } catch {
      return [];
    }
  });
}

/** Checks proxy URLs up front so a typo is a start-up error, not a mystery at the first Slack call. */
export function proxySettingsErrors(s: ProxySettings): string[] {
  const errors: string[] = [];
  for (const [name, v] of [
    ['HTTPS_PROXY', s.httpsProxy],
    ['HTTP_PROXY', s.httpProxy],
  ] as const) {
    if (v === undefined || v === '') continue;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      errors.push(`${name}: not a URL (${redactProxyUrl(v)}): use http://host:port or https://host:port`);
      continue;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      errors.push(`${name}: scheme ${u.protocol} is not supported: use http:// or https://`);
  }
  return errors;
}

/** Routes each request by `routeFor`: one Agent for direct connections, one ProxyAgent per proxy URL. */
class RoutingDispatcher extends Dispatcher {
  private readonly direct = new Agent();
  private readonly proxies = new Map<string, ProxyAgent>();
  private readonly settings: ProxySettings;

  constructor(settings: ProxySettings) {
    super();
    this.settings = settings;
  }

  private pick(origin: string): Dispatcher {
    const { proxy } = routeFor(this.settings, origin);
    if (proxy === undefined) return this.direct;
    let agent = this.proxies.get(proxy);
    if (agent === undefined) {
      agent = new ProxyAgent({ uri: proxy });
      this.proxies.set(proxy, agent);
    }
    return agent;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.pick(String(opts.origin)).dispatch(opts, handler);
  }

  override async close(): Promise<void> {
    await Promise.all([this.direct.close(), ...[...this.proxies.values()].map((p) => p.close())]);
  }

  override async destroy(): Promise<void> {
    await Promise.all([this.direct.destroy(), ...[...this.proxies.values()].map((p) => p.destroy())]);
  }
}

/** What the Slack layer needs for its connections, and what /readyz says about them. */
export interface SlackOutbound {
  dispatcher: Dispatcher;
  /** fetch for the Web API client and Bolt's respond(): every call goes through `dispatcher`. */
  fetch: typeof globalThis.fetch;
  /** How the Web API is reached, without credentials. */
  describe(url: string): string;
  /** The last outbound failure (one line, credentials stripped) since the last success, if any. */
  lastError(): string | undefined;
  close(): Promise<void>;
}

export function createSlackOutbound(settings: ProxySettings): SlackOutbound {
  const dispatcher = new RoutingDispatcher(settings);
  let failure: string | undefined;
  const fetchThrough = (async (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) => {
    try {
      const r = await undiciFetch(input as string, { ...(init as object), dispatcher } as never);
      failure = undefined;
      return r as unknown as Response;
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
      failure = errorText(stripUrlCredentials(`${messageOf(e)}${cause}`));
      throw e;
    }
  }) as typeof globalThis.fetch;
  return {
    dispatcher,
    fetch: fetchThrough,
    describe: (url) => describeRoute(routeFor(settings, url)),
    lastError: () => failure,
    close: () => dispatcher.close(),
  };
}
