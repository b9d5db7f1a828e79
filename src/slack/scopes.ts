// Which Web API method needs which bot scope, and which handler calls which methods and needs which event
// scopes: the manifest test checks manifests/slack-app-manifest.yaml against this table (no scope missing, none
// unused), and the end-to-end tests check that every method the bot really calls is listed here.

export const SLASH_COMMAND = '/icsp';
export const EVENTS = ['app_mention'] as const;

/** Bot-token scopes per Web API method the bot calls. */
export const METHOD_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'files.getUploadURLExternal': ['files:write'],
  'files.completeUploadExternal': ['files:write'],
  'usergroups.users.list': ['usergroups:read'],
  // Not a Web API method: GET of a file's url_private_download (a YAML shared with `@icsp-bot what-if`).
  'files.download': ['files:read'],
};

/** Scopes needed to receive a kind of request at all. */
export const RECEIVE_SCOPES: Readonly<Record<string, readonly string[]>> = {
  [`command:${SLASH_COMMAND}`]: ['commands'],
  'event:app_mention': ['app_mentions:read'],
  'action:block_actions': [],
};

/** The Web API methods each handler may call (files.uploadV2 is the two files.* methods). */
export const HANDLER_METHODS: Readonly<Record<string, readonly string[]>> = {
  startup: ['auth.test'],
  [`command:${SLASH_COMMAND}`]: [
    'chat.postMessage',
    'files.getUploadURLExternal',
    'files.completeUploadExternal',
    'usergroups.users.list',
  ],
  'event:app_mention': [
    'chat.postMessage',
    'chat.postEphemeral',
    'files.getUploadURLExternal',
    'files.completeUploadExternal',
    'usergroups.users.list',
    'files.download',
  ],
  'action:block_actions': [
    'chat.postMessage',
    'chat.postEphemeral',
    'files.getUploadURLExternal',
    'files.completeUploadExternal',
    'usergroups.users.list',
  ],
};

/** The bot scopes the handlers need: what the manifest must declare, exactly. */
export function requiredBotScopes(): string[] {
  const s = new Set<string>();
  for (const [handler, methods] of Object.entries(HANDLER_METHODS)) {
    for (const m of methods) for (const sc of METHOD_SCOPES[m] ?? [`<unknown method ${m}>`]) s.add(sc);
    for (const sc of RECEIVE_SCOPES[handler] ?? []) s.add(sc);
  }
  return [...s].sort();
}
