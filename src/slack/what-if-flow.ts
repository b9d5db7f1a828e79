// The fix and what-if requests in Slack, after the ack: the fix under a plan (YAML snippet + fix.yaml + the command
// to apply it) and `/icsp what-if` / `@icsp-bot what-if` (pasted YAML or an attached file, answered in a thread).
import type { Logger } from '../ports/logger.ts';
import { EngineError } from '../domain/engine-error.ts';
import type { Explanation } from '../domain/explain.ts';
import { proposeFix } from '../domain/fix.ts';
import { foldLines, messageOf } from '../domain/error-text.ts';
import type { PolicySource } from '../ports/live-check.ts';
import type { WhatIfClusterState } from '../ports/what-if.ts';
import { errorMessage, noteMessage } from './blocks.ts';
import type { FittedMessage } from './blocks.ts';
import type { Command } from './command-parser.ts';
import type { BotConfig } from './config.ts';
import type { UploadFile } from './file-upload.ts';
import { downloadSharedFile, fixMessage, MAX_PROPOSED_BYTES } from './what-if-answers.ts';
import type { SharedFile } from './what-if-answers.ts';
import type { ProposedText, WhatIfAnswer, WhatIfEngine } from './what-if-compute.ts';

type Post = (channel: string, threadTs: string | undefined, m: FittedMessage) => Promise<string>;
type Upload = (channel: string, threadTs: string, files: UploadFile[]) => Promise<void>;

export interface FixContext {
  cluster: string;
  deps: { policySource: PolicySource };
  post: Post;
  upload: Upload;
  logger: Logger;
}

/** Under a plan: the fix, proven, as a snippet with the command to apply it; or why there is none. */
export async function fixAnswer(
  ctx: FixContext,
  image: string,
  plan: Explanation,
  threadTs: string,
  channel: string,
  mirror?: string,
): Promise<void> {
  const source = ctx.deps.policySource;
  if (source.fixContext === undefined) return;
  const refused = plan.warnings.some((w) => w.code === 'mco-rejects-config');
  if (plan.verdict.code === 'mirror-first' && !refused) return;
  let r;
  try {
    const fc = await source.fixContext();
    r = proposeFix({
      reference: image,
      policies: fc.policies,
      explanation: plan,
      ...(fc.render !== undefined ? { render: fc.render } : {}),
      ...(mirror !== undefined ? { mirror } : {}),
    });
  } catch (e) {
    ctx.logger.warn({ err: foldLines(messageOf(e)) }, 'fix failed');
    await ctx.post(channel, threadTs, noteMessage(ctx.cluster, `Could not compute a fix: ${foldLines(messageOf(e))}`));
    return;
  }
  const m = fixMessage(ctx.cluster, image, r);
  if (m === null) {
    if (r.note !== null) await ctx.post(channel, threadTs, noteMessage(ctx.cluster, `No fix offered: ${r.note}.`));
    return;
  }
  await ctx.post(channel, threadTs, m);
  await ctx.upload(channel, threadTs, [
    { filename: 'fix.yaml', title: `Fix for ${image} (oc apply -f fix.yaml)`, content: r.fix!.yaml },
  ]);
}

export interface WhatIfContext {
  cluster: string;
  config: Pick<BotConfig, 'botToken' | 'apiUrl'>;
  deps: { whatIfState?: () => Promise<WhatIfClusterState> };
  post: Post;
  upload: Upload;
  ephemeral: (m: FittedMessage) => Promise<void>;
  channel: string;
  threadTs: string | undefined;
  user: string;
  /** Parses, computes and formats (the bot: in a worker thread, off the event loop that acks Slack). */
  engine: WhatIfEngine;
  /** Waits for the engine without holding a work slot (app.ts WorkSlots.outside); default: just waits. */
  outside?: <T>(p: Promise<T>) => Promise<T>;
}

const YAML_NAME = /\.(ya?ml|json)$/i;

/** `what-if`: proposed objects from the snippet and the attached YAML files, answered in a thread. */
export async function whatIfAnswer(
  ctx: WhatIfContext,
  c: Command & { kind: 'what-if' },
  files: SharedFile[],
): Promise<void> {
  if (ctx.deps.whatIfState === undefined)
    return ctx.ephemeral(errorMessage(ctx.cluster, 'what-if is not available on this bot'));
  const texts: ProposedText[] = [];
  if (c.yaml.trim() !== '') texts.push({ name: 'snippet', text: c.yaml });
  const allowedHosts = [
    'files.slack.com',
    ...(ctx.config.apiUrl !== undefined ? [new URL(ctx.config.apiUrl).hostname] : []),
  ];
  for (const f of files.filter((x) => x.name === undefined || YAML_NAME.test(x.name)).slice(0, 5)) {
    try {
      texts.push({
        name: f.name ?? 'file',
        text: await downloadSharedFile(f, ctx.config.botToken, allowedHosts, AbortSignal.timeout(20_000)),
      });
    } catch (e) {
      return ctx.ephemeral(errorMessage(ctx.cluster, `what-if: ${foldLines(messageOf(e))}`));
    }
  }
  if (texts.length === 0 && c.remove.length === 0) {
    return ctx.ephemeral(
      errorMessage(
        ctx.cluster,
        'what-if needs the proposed objects: paste the YAML after `/icsp ' +
          'what-if`, or attach a .yaml file to `@icsp-bot what-if`',
      ),
    );
  }
  if (texts.reduce((n, t) => n + t.text.length, 0) > MAX_PROPOSED_BYTES)
    return ctx.ephemeral(errorMessage(ctx.cluster, `what-if reads at most ${MAX_PROPOSED_BYTES} bytes of YAML`));
  const outside = ctx.outside ?? (<T>(p: Promise<T>): Promise<T> => p);
  const inputError = (e: unknown): Promise<void> => {
    if (e instanceof EngineError) return ctx.ephemeral(errorMessage(ctx.cluster, `what-if: ${foldLines(e.message)}`));
    throw e;
  };
  // The YAML first: a bad paste is answered without reading the cluster.
  try {
    await outside(ctx.engine.check(texts));
  } catch (e) {
    return inputError(e);
  }
  let state: WhatIfClusterState;
  try {
    state = await ctx.deps.whatIfState();
  } catch (e) {
    return ctx.ephemeral(errorMessage(ctx.cluster, `what-if cannot read the cluster: ${foldLines(messageOf(e))}`));
  }
  let a: WhatIfAnswer;
  try {
    a = await outside(ctx.engine.answer({ cluster: ctx.cluster, texts, remove: c.remove, state }));
  } catch (e) {
    return inputError(e);
  }
  const threadTs = ctx.threadTs ?? (await ctx.post(ctx.channel, undefined, a.head));
  if (ctx.threadTs !== undefined) await ctx.post(ctx.channel, threadTs, a.head);
  await ctx.post(ctx.channel, threadTs, a.report);
  const upload: UploadFile[] = [{ filename: 'what-if.json', title: 'What-if, machine-readable', content: a.json }];
  if (a.fullText !== null)
    upload.unshift({ filename: 'what-if.txt', title: 'What-if, the full report', content: a.fullText });
  await ctx.upload(ctx.channel, threadTs, upload);
}
