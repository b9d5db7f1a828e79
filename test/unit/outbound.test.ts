// Which proxy a Slack connection takes (HTTPS_PROXY / HTTP_PROXY / NO_PROXY), and that credentials never show.
import { describe, expect, it } from 'vitest';
import {
  describeRoute,
  proxySettingsErrors,
  redactProxyUrl,
  routeFor,
  stripUrlCredentials,
} from '../../src/slack/outbound.ts';

const P = 'http://user:s3cret@proxy.corp:3128';

describe('routeFor', () => {
  const cases: Array<
    [string, { httpProxy?: string; httpsProxy?: string; noProxy?: string }, string, string | undefined]
  > = [
    ['no proxy set: direct', {}, 'https://slack.com/api/', undefined],
    ['https target uses HTTPS_PROXY', { httpsProxy: P }, 'https://slack.com/api/', P],
    ['wss target uses HTTPS_PROXY', { httpsProxy: P }, 'wss://wss-primary.slack.com/link', P],
    ['https falls back to HTTP_PROXY (as curl)', { httpProxy: P }, 'https://slack.com/api/', P],
    ['http target ignores HTTPS_PROXY', { httpsProxy: P }, 'http://127.0.0.1:8080/api/', undefined],
    ['ws target uses HTTP_PROXY', { httpProxy: P }, 'ws://127.0.0.1:9/x', P],
    ['NO_PROXY exact name', { httpsProxy: P, noProxy: 'slack.com' }, 'https://slack.com/api/', undefined],
    [
      'NO_PROXY name covers subdomains',
      { httpsProxy: P, noProxy: 'slack.com' },
      'https://files.slack.com/x',
      undefined,
    ],
    [
      'NO_PROXY .suffix covers subdomains',
      { httpsProxy: P, noProxy: '.slack.com' },
      'wss://wss-primary.slack.com/x',
      undefined,
    ],
    ['NO_PROXY .suffix not the apex', { httpsProxy: P, noProxy: '.slack.com' }, 'https://slack.com/api/', P],
    ['NO_PROXY *.suffix not the apex', { httpsProxy: P, noProxy: '*.slack.com' }, 'https://slack.com/api/', P],
    ['NO_PROXY not a partial label', { httpsProxy: P, noProxy: 'ack.com' }, 'https://slack.com/api/', P],
    ['NO_PROXY *', { httpsProxy: P, noProxy: '*' }, 'https://slack.com/api/', undefined],
    ['NO_PROXY port must match', { httpsProxy: P, noProxy: 'slack.com:8443' }, 'https://slack.com/api/', P],
    ['NO_PROXY port matches', { httpsProxy: P, noProxy: 'slack.com:443' }, 'https://slack.com/api/', undefined],
    [
      'NO_PROXY OpenShift list: .svc',
      { httpsProxy: P, noProxy: '.cluster.local,.svc,10.0.0.0/16,172.30.0.0/16,localhost' },
      'https://kubernetes.default.svc/api',
      undefined,
    ],
    ['NO_PROXY CIDR v4', { httpsProxy: P, noProxy: '172.30.0.0/16' }, 'https://172.30.0.1/', undefined],
    ['NO_PROXY CIDR v4 outside', { httpsProxy: P, noProxy: '172.30.0.0/16' }, 'https://172.31.0.1/', P],
    ['NO_PROXY CIDR v6', { httpsProxy: P, noProxy: 'fd00::/8' }, 'https://[fd01::1]/', undefined],
    ['NO_PROXY IPv6 literal', { httpsProxy: P, noProxy: '::1' }, 'https://[::1]:8443/', undefined],
    [
      'NO_PROXY spaces and empty entries',
      { httpsProxy: P, noProxy: ' , slack.com ,, ' },
      'https://slack.com/',
      undefined,
    ],
    ['empty proxy value means none', { httpsProxy: '', httpProxy: '' }, 'https://slack.com/', undefined],
  ];
  it.each(cases)('%s', (_name, settings, url, want) => {
    expect(routeFor(settings, url).proxy).toBe(want);
  });
});

describe('credentials never shown', () => {
  it('redactProxyUrl keeps scheme, host and port only', () => {
    expect(redactProxyUrl(P)).toBe('http://proxy.corp:3128');
    expect(redactProxyUrl('not a url')).toBe('(invalid proxy URL)');
  });
  it('describeRoute', () => {
    expect(describeRoute({ proxy: P })).toBe('through proxy http://proxy.corp:3128');
    expect(describeRoute({ proxy: undefined })).toBe('directly');
  });
  it('stripUrlCredentials removes user:password@ from any URL in a message', () => {
    expect(stripUrlCredentials(`connect to ${P} failed; also https://a:b@x.y/z`)).toBe(
      'connect to http://proxy.corp:3128 failed; also https://x.y/z',
    );
  });
  it('proxySettingsErrors: bad URL and bad scheme, without echoing the password', () => {
    const errs = proxySettingsErrors({ httpsProxy: 'socks5://u:pw@h:1', httpProxy: 'u:pw@@' });
    expect(errs).toHaveLength(2);
    expect(errs.join(' ')).not.toContain('pw');
    expect(errs[0]).toMatch(/^HTTPS_PROXY: scheme socks5: is not supported/);
    expect(proxySettingsErrors({ httpsProxy: P })).toEqual([]);
  });
});
