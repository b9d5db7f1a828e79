// The "why" use case through the real Bolt app: the live check carries the plan the anchor showed (same policy
// generation), the generation is held until the live check is done, and each command is answered once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedReference } from '../../src/domain/parsed-reference.ts';
import type { HeldPlan, PolicySource } from '../../src/ports/live-check.ts';
import { exampleSource, startHarness } from './helpers/bot-harness.ts';
import type { Harness } from './helpers/bot-harness.ts';
import { RecordingServer } from './helpers/recording-server.ts';
import { commandForm, postSigned } from './helpers/slack-fixtures.ts';

const FORM = 'application/x-www-form-urlencoded';
const IMAGE = 'imagestore.co/repo/exampleimage:latest';
const rec = new RecordingServer();
let h: Harness;

/** A source whose policies change after every plan: generation 1, 2, ...; records holds and releases. */
class ChangingSource implements PolicySource {
  readonly cluster = 'test-cluster';
  generation = 0;
  readonly planned: Array<{ generation: number; reference: ParsedReference }> = [];
  readonly released: number[] = [];
  private readonly base: PolicySource;
  constructor(base: PolicySource) {
    this.base = base;
  }
  explain(image: string) {
    return this.base.explain(image);
  }
  async plan(reference: ParsedReference): Promise<HeldPlan> {
    const generation = ++this.generation;
    this.planned.push({ generation, reference });
    const explanation = await this.base.explain(reference.input);
    return {
      generation,
      explanation: {
        ...explanation,
        verdict: { ...explanation.verdict, summary: `${explanation.verdict.summary} [generation ${generation}]` },
      },
      release: () => this.released.push(generation),
    };
  }
}

let source: ChangingSource;

beforeAll(async () => {
  await rec.start();
  source = new ChangingSource((await exampleSource()).source);
  h = await startHarness(rec, 'http', { ICSP_MAX_LIVE_CHECKS: '50' }, { deps: { policySource: source } });
  h.checker.delayMs = 50;
});

afterAll(async () => {
  await h.bot.stop();
  await rec.stop();
});

describe('/icsp why: one plan per request', () => {
  it(
    "the live check gets the anchor's plan and generation; the " + 'generation is released after the live check',
    async () => {
      const r = await postSigned(
        h.port!,
        commandForm({ text: `why ${IMAGE} node=worker-1`, responseUrl: rec.responseUrl('cmd') }),
        FORM,
      );
      expect(r.status).toBe(200);
      await h.bot.idle();
      const [anchor] = rec.callsOf('chat.postMessage').map((c) => JSON.stringify(c.params.blocks));
      expect(anchor).toContain('[generation 1]');
      expect(source.planned.map((p) => [p.generation, p.reference.input, p.reference.canonical])).toEqual([
        [1, IMAGE, IMAGE],
      ]);
      const plan = h.checker.plans.at(-1);
      expect(plan?.generation).toBe(1);
      expect(plan?.explanation.verdict.summary).toContain('[generation 1]');
      expect(source.released).toEqual([1]);
    },
  );

  it(
    '50 concurrent commands: each planned once, each live check ' +
      'with its own plan, each answered once, all released',
    async () => {
      rec.reset();
      const before = source.generation;
      const acks = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          postSigned(
            h.port!,
            commandForm({ text: `why ${IMAGE} node=n-${i}`, responseUrl: rec.responseUrl(`c${i}`) }),
            FORM,
          ),
        ),
      );
      expect(acks.every((a) => a.status === 200)).toBe(true);
      await h.bot.idle();
      expect(source.generation - before).toBe(50);
      const live = h.checker.plans
        .slice(-50)
        .map((p) => p?.generation)
        .sort((a, b) => a! - b!);
      expect(live).toEqual(Array.from({ length: 50 }, (_, i) => before + i + 1));
      expect([...source.released].sort((a, b) => a - b).slice(-50)).toEqual(live);
      const liveReplies = rec
        .callsOf('chat.postMessage')
        .filter((c) => String(c.params.text).includes('live check of'));
      expect(liveReplies.map((c) => /n-\d+/.exec(String(c.params.text))?.[0]).sort()).toEqual(
        Array.from({ length: 50 }, (_, i) => `n-${i}`).sort(),
      );
    },
  );
});
