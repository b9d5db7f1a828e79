// The what-if worker's transport: errors come back as the same class, stage and message as in process (so the Slack
// flow words them the same), a dead or stuck worker is one line and the next what-if gets a new one, the queue is
// bounded, the worker starts on first use and close() ends it. The answers equal the in-process ones.
import { afterEach, describe, expect, it } from 'vitest';
import { generatePolicies } from '../../bench/engine-bench.ts';
import { EngineError } from '../../src/domain/engine-error.ts';
import type { PoolFacts } from '../../src/domain/node-disruption.ts';
import { computeWhatIfAnswer, parseProposed } from '../../src/slack/what-if-compute.ts';
import type { WhatIfJob } from '../../src/slack/what-if-compute.ts';
import { userFacing } from '../../src/slack/user-facing.ts';
import { carryError, MAX_WAITING, rebuildError, WorkerWhatIfEngine } from '../../src/slack/what-if-worker.ts';
import { proposalYaml, runningImages } from '../slack/helpers/what-if-load.ts';

const engines: WorkerWhatIfEngine[] = [];
function engine(o: ConstructorParameters<typeof WorkerWhatIfEngine>[0] = {}): WorkerWhatIfEngine {
  const e = new WorkerWhatIfEngine(o);
  engines.push(e);
  return e;
}
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

function job(sources: number, over: Partial<WhatIfJob> = {}): WhatIfJob {
  return {
    cluster: 'c1',
    texts: [{ name: 'idms.yaml', text: proposalYaml(sources) }],
    remove: [],
    state: {
      policies: generatePolicies(sources),
      images: runningImages(Math.min(sources, 1000), sources),
      pools: [{ name: 'worker', machineCount: 3 }],
      machineConfiguration: null,
      notes: ['a note from the cluster'],
    },
    ...over,
  };
}

/** What in-process computing throws for `f`. */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

const BAD_YAML = [{ name: 'snippet', text: 'kind: ImageDigestMirrorSet\nmetadata: [not, a, map\n' }];

describe('error transport', () => {
  it('an EngineError keeps its class, stage and message; a TypeError stays one; others keep name and message', () => {
    const e = rebuildError(carryError(new EngineError('input', 'snippet: line 2: bad')));
    expect(e).toBeInstanceOf(EngineError);
    expect(e).toMatchObject({ stage: 'input', message: 'snippet: line 2: bad' });
    const t = rebuildError(carryError(new TypeError("Cannot read properties of null (reading 'name')")));
    expect(t).toBeInstanceOf(TypeError);
    expect(userFacing(t)).toMatch(/an internal error in the bot/);
    const o = rebuildError(carryError(Object.assign(new Error('went away'), { name: 'AbortError' })));
    expect(o).toMatchObject({ name: 'AbortError', message: 'went away' });
    expect(rebuildError(carryError('a string'))).toMatchObject({ name: 'Error', message: 'a string' });
  });

  it('bad YAML: check() and answer() reject with the EngineError parsing throws in process', async () => {
    const inProcess = thrown(() => parseProposed(BAD_YAML));
    expect(inProcess).toBeInstanceOf(EngineError);
    const w = engine();
    const viaCheck = await w.check(BAD_YAML).then(
      () => null,
      (e: unknown) => e,
    );
    expect(viaCheck).toBeInstanceOf(EngineError);
    expect(viaCheck).toMatchObject({ stage: (inProcess as EngineError).stage, message: inProcess.message });
    const viaAnswer = await w.answer(job(100, { texts: BAD_YAML })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(viaAnswer).toMatchObject({ name: 'EngineError', message: inProcess.message });
    // The worker survives a bad input: the next what-if is answered.
    expect(await w.answer(job(100))).toEqual(computeWhatIfAnswer(job(100)));
  });

  it('a bug in the computation is the same TypeError as in process (shown as an internal error)', async () => {
    const broken = job(100);
    broken.state.pools = [null as unknown as PoolFacts];
    const inProcess = thrown(() => computeWhatIfAnswer(broken));
    expect(inProcess).toBeInstanceOf(TypeError);
    const e = await engine()
      .answer(broken)
      .then(
        () => null,
        (x: unknown) => x,
      );
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toBe(inProcess.message);
  });

  it('a worker that dies (out of memory) is one line; the next what-if gets a new worker', async () => {
    const w = engine({ resourceLimits: { maxOldGenerationSizeMb: 12, maxYoungGenerationSizeMb: 4 } });
    const e = await w.answer(job(10_000)).then(
      () => null,
      (x: unknown) => x as Error,
    );
    expect(e?.message).toMatch(/^the what-if worker stopped \(.*\); try again$/);
    expect(e?.message).not.toContain('\n');
    expect(await w.answer(job(100))).toEqual(computeWhatIfAnswer(job(100)));
  }, 60_000);

  it('a what-if over the time limit is stopped in one line; the next one is answered', async () => {
    const w = engine({ timeoutMs: 30 });
    await expect(w.answer(job(10_000))).rejects.toThrow(
      "the what-if took longer than 30 ms and was stopped (the CLI's icsp what-if has no limit)",
    );
    expect(w.started).toBe(false);
    const patient = engine();
    expect(await patient.answer(job(100))).toEqual(computeWhatIfAnswer(job(100)));
  }, 60_000);
});

describe('the worker engine', () => {
  it('starts on the first what-if, answers as in process (also with a cut report), and close() ends it', async () => {
    const w = engine();
    expect(w.started).toBe(false);
    const j = job(10_000);
    const a = await w.answer(j);
    expect(w.started).toBe(true);
    const expected = computeWhatIfAnswer(j);
    expect(a.report.truncated).toBe(true);
    expect(a.fullText).not.toBeNull();
    expect(a).toEqual(expected);
    await w.close();
    expect(w.started).toBe(false);
    await expect(w.answer(job(100))).rejects.toThrow('the what-if engine is stopped');
  }, 60_000);

  it(`one what-if at a time, ${MAX_WAITING} waiting; one more is refused in one line`, async () => {
    const w = engine();
    const jobs = Array.from({ length: MAX_WAITING + 2 }, () => job(2000));
    const results = await Promise.allSettled(jobs.map((j) => w.answer(j)));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toContain(
      `the bot is computing what-ifs already (${MAX_WAITING} waiting); try again in a minute`,
    );
    const expected = computeWhatIfAnswer(jobs[0]!);
    for (const r of results.slice(0, MAX_WAITING + 1)) expect(r).toEqual({ status: 'fulfilled', value: expected });
  }, 60_000);
});
