// ChatSink on the Slack Web API: chat.postMessage, chat.update and threaded replies, each through callSlack (a 429
// is retried after its Retry-After, bounded; anything else is thrown to the notifier, which retries later).
import { webApi } from '@slack/bolt';
import type { ChatMessage, ChatSink, PostedMessage } from '../ports/chat-sink.ts';
import { callSlack } from './slack-call.ts';
import type { RetryPolicy } from './slack-call.ts';

export interface SlackChatSinkOptions {
  token: string;
  /** e.g. http://127.0.0.1:PORT/api/ for a local recording server; default slack.com. */
  apiUrl?: string;
  retry?: RetryPolicy;
  /** Through the proxy when one is set (SlackOutbound.fetch). */
  fetch?: typeof globalThis.fetch;
}

interface PostResult {
  ok?: boolean;
  ts?: string;
  channel?: string;
}

const DEFAULT_RETRY: RetryPolicy = { retries: 3, maxRetryAfterMs: 60_000 };

export class SlackChatSink implements ChatSink {
  private readonly client: webApi.WebClient;
  private readonly retry: RetryPolicy;

  constructor(opts: SlackChatSinkOptions) {
    // Retries of 429 are ours (callSlack, visible and bounded), not the client's queue.
    this.client = new webApi.WebClient(opts.token, {
      ...(opts.apiUrl === undefined ? {} : { slackApiUrl: opts.apiUrl }),
      ...(opts.fetch === undefined ? {} : { fetch: opts.fetch }),
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
    });
    this.retry = opts.retry ?? DEFAULT_RETRY;
  }

  private static body(m: ChatMessage): { text: string; blocks?: never[] } {
    return { text: m.text, ...(m.blocks === undefined ? {} : { blocks: m.blocks as never[] }) };
  }

  async post(channel: string, message: ChatMessage): Promise<PostedMessage> {
    const r = (await callSlack(this.retry, () =>
      this.client.chat.postMessage({ channel, ...SlackChatSink.body(message), unfurl_links: false }),
    )) as PostResult;
    return { channel: r.channel ?? channel, ts: String(r.ts) };
  }

  async update(channel: string, ts: string, message: ChatMessage): Promise<void> {
    await callSlack(this.retry, () => this.client.chat.update({ channel, ts, ...SlackChatSink.body(message) }));
  }

  async reply(channel: string, threadTs: string, message: ChatMessage): Promise<PostedMessage> {
    const r = (await callSlack(this.retry, () =>
      this.client.chat.postMessage({
        channel,
        thread_ts: threadTs,
        ...SlackChatSink.body(message),
        unfurl_links: false,
      }),
    )) as PostResult;
    return { channel: r.channel ?? channel, ts: String(r.ts) };
  }
}
