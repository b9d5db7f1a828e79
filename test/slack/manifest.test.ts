// The app manifest against the handlers: every scope the handlers' Web API methods and events need is declared,
// none is unused; the slash command and the events are exactly those with listeners; Socket Mode is on.
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { EVENTS, HANDLER_METHODS, METHOD_SCOPES, requiredBotScopes, SLASH_COMMAND } from '../../src/slack/scopes.ts';

interface Manifest {
  features: { slash_commands: Array<{ command: string }>; bot_user: unknown };
  oauth_config: { scopes: { bot: string[]; user?: string[] } };
  settings: {
    event_subscriptions: { bot_events: string[] };
    interactivity: { is_enabled: boolean };
    socket_mode_enabled: boolean;
  };
}

const manifest = load(readFileSync('manifests/slack-app-manifest.yaml', 'utf8')) as Manifest;

describe('manifests/slack-app-manifest.yaml', () => {
  it('declares exactly the bot scopes the handlers need: none missing, none unused', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(requiredBotScopes());
    expect(manifest.oauth_config.scopes.user ?? []).toEqual([]);
  });

  it('every method a handler uses has a scope entry', () => {
    for (const methods of Object.values(HANDLER_METHODS))
      for (const m of methods) expect(METHOD_SCOPES[m], m).toBeDefined();
  });

  it('the slash command and events are those with listeners; interactivity and Socket Mode on', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([SLASH_COMMAND]);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual([...EVENTS]);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.features.bot_user).toBeDefined();
  });

  it('the listeners in src/slack/app.ts are those of the table', () => {
    const src = readFileSync('src/slack/app.ts', 'utf8');
    expect(src).toContain('app.command(SLASH_COMMAND');
    const events = [...src.matchAll(/app\.event\('([^']+)'/g)].map((m) => m[1]);
    expect(events).toEqual([...EVENTS]);
    const methods = new Set([...src.matchAll(/client\.([a-z]+\.[a-zA-Z.]+)\(/g)].map((m) => m[1]!));
    methods.add('files.getUploadURLExternal').add('files.completeUploadExternal'); // files.uploadV2 in file-upload.ts
    for (const m of methods) expect(Object.keys(METHOD_SCOPES), m).toContain(m);
    const used = new Set(Object.values(HANDLER_METHODS).flat());
    for (const m of methods) expect(used.has(m), m).toBe(true);
  });
});
