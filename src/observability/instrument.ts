// Decorators that count what the bot does without the Slack layer or the cluster adapter knowing of metrics.
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
