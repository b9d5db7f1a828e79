// The port between the rollout notifier and a chat system: post a message, edit it in place, reply in its
// thread. The Slack implementation is src/slack/chat-sink.ts; tests may use a recording fake. No Slack import.

export interface ChatMessage {
  /** Plain text: the notification and accessibility fallback (and the whole message when blocks are absent). */
  text: string;
  /** Slack Block Kit blocks (opaque here). */
  blocks?: unknown[];
}

export interface PostedMessage {
  channel: string;
  ts: string;
}

export interface ChatSink {
  post(channel: string, message: ChatMessage): Promise<PostedMessage>;
  update(channel: string, ts: string, message: ChatMessage): Promise<void>;
  reply(channel: string, threadTs: string, message: ChatMessage): Promise<PostedMessage>;
}
