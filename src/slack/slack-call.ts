// Every Web API call of the bot goes through callSlack: a 429 is retried after its Retry-After (bounded in
// count and wait), anything else is thrown to the caller, which reports it. Nothing is dropped silently.

export interface RetryPolicy {
  retries: number;
  maxRetryAfterMs: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Told of every retry and every final failure (metrics). */
  observe?: (event: 'retry' | 'error', error: string) => void;
}

interface SlackErrorLike {
  code?: string;
  retryAfter?: number;
  data?: { error?: string };
}

/** The Slack error string of a failed Web API call (not_in_channel, channel_not_found, ...), if any. */
export function slackErrorCode(e: unknown): string | undefined {
  const s = e as SlackErrorLike | null;
  return typeof s?.data?.error === 'string' ? s.data.error : undefined;
}

export function isRateLimited(e: unknown): number | undefined {
  const s = e as SlackErrorLike | null;
  return s?.code === 'slack_webapi_rate_limited_error' && typeof s.retryAfter === 'number' ? s.retryAfter : undefined;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function callSlack<T>(policy: RetryPolicy, fn: () => Promise<T>): Promise<T> {
  const sleep = policy.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const after = isRateLimited(e);
      if (after === undefined || attempt >= policy.retries || after * 1000 > policy.maxRetryAfterMs) {
        policy.observe?.('error', slackErrorCode(e) ?? (after !== undefined ? 'ratelimited' : 'request_failed'));
        throw e;
      }
      policy.observe?.('retry', 'ratelimited');
      await sleep(after * 1000);
    }
  }
}

/**
 * How much of a failure's first line goes into a Slack reply or a log field (errorText of src/domain/error-text.ts).
 */
export const ERROR_CHARS = 300;
