// Prometheus metrics of the bot (prom-client: the standard exposition format and process metrics, kept by the
// Prometheus community, rather than a hand-written registry).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface BotMetrics {
  registry: Registry;
  checksStarted: Counter<'kind'>;
  checksFinished: Counter<'kind' | 'verdict'>;
  checkDuration: Histogram<'kind'>;
  debugPodsInFlight: Gauge;
  slackApiErrors: Counter<'method' | 'error'>;
  slackRetries: Counter<'method'>;
  watchRestarts: Gauge<'source'>;
  rolloutNotices: Counter<'event'>;
}

export function createMetrics(withDefaults = true): BotMetrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'icsp_bot_' });
  const registers = [registry];
  return {
    registry,
    checksStarted: new Counter({
      name: 'icsp_bot_checks_started_total',
      help: 'Checks started, by kind (plan, live).',
      labelNames: ['kind'],
      registers,
    }),
    checksFinished: new Counter({
      name: 'icsp_bot_checks_finished_total',
      help: 'Checks finished, by kind and verdict code.',
      labelNames: ['kind', 'verdict'],
      registers,
    }),
    checkDuration: new Histogram({
      name: 'icsp_bot_check_duration_seconds',
      help: 'Duration of checks.',
      labelNames: ['kind'],
      buckets: [0.05, 0.25, 1, 5, 15, 30, 60, 120, 300],
      registers,
    }),
    debugPodsInFlight: new Gauge({
      name: 'icsp_bot_debug_pods_in_flight',
      help: 'Debug pods the bot has created and not yet deleted.',
      registers,
    }),
    slackApiErrors: new Counter({
      name: 'icsp_bot_slack_api_errors_total',
      help: 'Slack Web API calls that failed, by method and error.',
      labelNames: ['method', 'error'],
      registers,
    }),
    slackRetries: new Counter({
      name: 'icsp_bot_slack_retries_total',
      help: 'Slack Web API calls retried (429 or transient).',
      labelNames: ['method'],
      registers,
    }),
    watchRestarts: new Gauge({
      name: 'icsp_bot_watch_restarts',
      help: 'Watch restarts since start, by source.',
      labelNames: ['source'],
      registers,
    }),
    rolloutNotices: new Counter({
      name: 'icsp_bot_rollout_notices_total',
      help: 'Rollout notices posted, by event (started, progress, done, stuck, resolved).',
      labelNames: ['event'],
      registers,
    }),
  };
}
