// Decorators that count what the bot does without the Slack layer or the cluster adapter knowing of metrics.
import type { ChatSink } from '../ports/chat-sink.ts';
import type { LiveChecker, PolicySource } from '../ports/live-check.ts';
import type { BotMetrics } from './metrics.ts';

export function instrumentPolicySource(source: PolicySource, m: BotMetrics): PolicySource {
  return {
    cluster: source.cluster,
    async explain(image) {
      m.checksStarted.inc({ kind: 'plan' });
      const end = m.checkDuration.startTimer({ kind: 'plan' });
      try {
        const e = await source.explain(image);
        m.checksFinished.inc({ kind: 'plan', verdict: e.verdict.code });
        return e;
      } catch (err) {
        m.checksFinished.inc({ kind: 'plan', verdict: 'error' });
        throw err;
      } finally {
        end();
      }
    },
  };
}

export function instrumentLiveChecker(checker: LiveChecker, m: BotMetrics): LiveChecker {
  return {
    async check(req, signal) {
      m.checksStarted.inc({ kind: 'live' });
      const end = m.checkDuration.startTimer({ kind: 'live' });
      try {
        const r = await checker.check(req, signal);
        for (const n of r.nodes) m.checksFinished.inc({ kind: 'live', verdict: n.verdict.code });
        return r;
      } catch (err) {
        m.checksFinished.inc({ kind: 'live', verdict: 'error' });
        throw err;
      } finally {
        end();
      }
    },
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
