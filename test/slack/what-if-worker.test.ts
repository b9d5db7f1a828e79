// `@icsp-bot what-if` at oc-mirror size does not hold the bot's event loop: real Bolt over signed HTTP, the Web API
// at the recording server, the proposal as an attached file, `/icsp help` sent every 50 ms from another thread
// while the what-if is in flight (helpers/what-if-load.ts). The same request with the engine on the bot's thread
// (as before the worker) is measured in the same run: the bound is derived from it, so the test fails if the work
// comes back onto the event loop. The answer is the in-process result, message for message and byte for byte.
import { describe, expect, it } from 'vitest';
import { generatePolicies } from '../../bench/engine-bench.ts';
import { parsePolicyDocuments } from '../../src/domain/policy-documents.ts';
import { whatIf } from '../../src/domain/what-if.ts';
import { whatIfJson } from '../../src/domain/what-if-report.ts';
import type { FittedMessage } from '../../src/slack/blocks.ts';
import { whatIfMessage, whatIfReport } from '../../src/slack/what-if-answers.ts';
import { InProcessWhatIfEngine } from '../../src/slack/what-if-compute.ts';
import { WorkerWhatIfEngine } from '../../src/slack/what-if-worker.ts';
import { RecordingServer } from './helpers/recording-server.ts';
import { startHarness } from './helpers/bot-harness.ts';
import { proposalYaml, runningImages, slackWhatIf } from './helpers/what-if-load.ts';

const SOURCES = 10_000;

describe('what-if in Slack runs off the event loop', () => {
  it(
    'while a what-if of 10,000 sources and 10,000 images computes, /icsp help is acked promptly; ' +
      'on the bot thread the same request holds every ack; the answer is unchanged',
    async () => {
      const policies = generatePolicies(SOURCES);
      const images = runningImages(10_000, SOURCES);
      const yaml = proposalYaml(SOURCES);
      const onThread = await slackWhatIf(policies, images, yaml, new InProcessWhatIfEngine());
      const worker = await slackWhatIf(policies, images, yaml);
      const figures = { onThread: { ...onThread, json: '', posts: [] }, worker: { ...worker, json: '', posts: [] } };
      // The measure can fail: on the bot's thread the computation holds the loop (and the acks) for long.
      expect(onThread.blockCpuMs, JSON.stringify(figures)).toBeGreaterThan(200);
      // Acks went on while the worker computed, each within a bound far below what the computation held the loop.
      expect(worker.helps, JSON.stringify(figures)).toBeGreaterThanOrEqual(5);
      expect(worker.helpAckMaxMs, JSON.stringify(figures)).toBeLessThan(onThread.blockWallMs / 2);
      expect(worker.blockCpuMs, JSON.stringify(figures)).toBeLessThan(Math.min(100, onThread.blockCpuMs / 4));

      // Unchanged: the domain's result formatted as the flow does, and the same as on the bot's thread.
      const r = whatIf({
        current: policies,
        proposed: parsePolicyDocuments(yaml, 'idms.yaml').objects,
        remove: [],
        images,
        machineConfiguration: null,
      });
      expect(r.rerouted.length).toBe(1000);
      const cluster = 'test-cluster';
      const strip = (m: FittedMessage) => ({ text: m.text, blocks: m.blocks });
      expect(worker.posts).toEqual([strip(whatIfMessage(cluster, r)), strip(whatIfReport(cluster, r))]);
      expect(worker.json).toBe(JSON.stringify(whatIfJson(r), null, 2));
      expect(worker.posts).toEqual(onThread.posts);
      expect(worker.json).toBe(onThread.json);
    },
    300_000,
  );

  it("the bot's stop() terminates the what-if worker; it starts with the first what-if", async () => {
    const rec = new RecordingServer();
    await rec.start();
    const engine = new WorkerWhatIfEngine();
    const h = await startHarness(rec, 'http', {}, { deps: { whatIfEngine: engine } });
    expect(engine.started).toBe(false);
    const itms = 'apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata: {name: x}\nspec: {}\n';
    await engine.check([{ name: 'snippet', text: itms }]);
    expect(engine.started).toBe(true);
    await h.bot.stop();
    await rec.stop();
    expect(engine.started).toBe(false);
    await expect(engine.check([])).rejects.toThrow('the what-if engine is stopped');
  });
});
