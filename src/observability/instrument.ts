// Decorators that count what the bot does without the Slack layer or the cluster adapter knowing of metrics.
import type { ChatSink } from '../ports/chat-sink.ts';
import type { LiveChecker, PolicySource } from '../ports/live-check.ts';
import type { BotMetrics } from './metrics.ts';

/** Counts one check of `kind` and times it; `verdicts` reads the verdict codes off the result. */
async function measured<T>(
  m: BotMetrics,
  kind: 'plan' | 'live',
  run: () => Promise<T>,
  verdicts: (r: T) => string[],
): Promise<T> {
  m.checksStarted.inc({ kind });
  const end = m.checkDuration.startTimer({ kind });
  try {
    const r = await run();
    for (const verdict of verdicts(r)) m.checksFinished.inc({ kind, verdict });
    return r;
  } catch (err) {
    m.checksFinished.inc({ kind, verdict: 'error' });
    throw err;
  } finally {
    end();
  }
}

export function instrumentPolicySource(source: PolicySource, m: BotMetrics): PolicySource {
  const out: PolicySource = {
    cluster: source.cluster,
    explain: (image) =>
      measured(
        m,
        'plan',
        () => source.explain(image),
        (e) => [e.verdict.code],
      ),
  };
  if (source.fixContext !== undefined) out.fixContext = source.fixContext.bind(source);
  const plan = source.plan?.bind(source);
  if (plan !== undefined)
    out.plan = (reference) =>
      measured(
        m,
        'plan',
        () => plan(reference),
        (p) => [p.explanation.verdict.code],
      );
  return out;
}

export function instrumentLiveChecker(checker: LiveChecker, m: BotMetrics): LiveChecker {
  return {
    check: (req, signal) =>
      measured(
        m,
        'live',
        () => checker.check(req, signal),
        (r) => r.nodes.map((n) => n.verdict.code),
      ),
  };
}

/** Counts rollout notices by what happened to the channel: a new notice, an in-place update, a thread reply. */
export function instrumentChatSink(chat: ChatSink, m: BotMetrics): ChatSink {
  return {
    async post(channel, message) {
      const r = await chat.post(channel, message);
      m.rolloutNotices.inc({ event: 'notice' });
      return r;
    },
    async update(channel, ts, message) {
      await chat.update(channel, ts, message);
      m.rolloutNotices.inc({ event: 'update' });
    },
    async reply(channel, threadTs, message) {
      const r = await chat.reply(channel, threadTs, message);
      m.rolloutNotices.inc({ event: 'reply' });
      return r;
    },
  };
}
