// Slack's Socket Mode `hello` message says how many connections the app has open (`num_connections`). More than one
// means another process uses the same app token, and Slack then hands each event to one connection at random: a
// bot in another cluster may answer. @slack/socket-mode parses `hello` but does not pass it on; its client emits
// every raw frame as `ws_message` first, so we read the count there.

interface HelloEmitter {
  on(event: 'ws_message', listener: (data: unknown, isBinary: boolean) => void): unknown;
}

/** Parses one raw Socket Mode frame; the connection count when it is a `hello`, else undefined. */
export function helloConnections(data: unknown): number | undefined {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data))
    text = new TextDecoder().decode(data as ArrayBuffer);
  else return undefined;
  if (!text.includes('"hello"')) return undefined;
  try {
    const m = JSON.parse(text) as { type?: unknown; num_connections?: unknown };
    return m.type === 'hello' && typeof m.num_connections === 'number' ? m.num_connections : undefined;
  } catch {
    return undefined;
  }
}

/** Calls `onHello` with the connection count of every `hello` (each reconnect sends one). */
export function watchHello(client: HelloEmitter, onHello: (connections: number) => void): void {
  client.on('ws_message', (data, isBinary) => {
    if (isBinary) return;
    const n = helloConnections(data);
    if (n !== undefined) onHello(n);
  });
}
