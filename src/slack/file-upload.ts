// Uploads text files into a thread the way Bolt's client.files.uploadV2 does: files.getUploadURLExternal, a POST
// of the bytes to the returned URL, then files.completeUploadExternal with channel_id and thread_ts.
import type { App } from '@slack/bolt';
import { callSlack } from './slack-call.ts';
import type { RetryPolicy } from './slack-call.ts';

export interface UploadFile {
  filename: string;
  title: string;
  content: string;
}

/** Uploads the non-empty files in one uploadV2 call; throws (after 429 retries) on failure. */
export async function uploadToThread(
  client: App['client'],
  retry: RetryPolicy,
  channel: string,
  threadTs: string,
  files: UploadFile[],
): Promise<number> {
  const nonEmpty = files.filter((f) => f.content.length > 0);
  if (nonEmpty.length === 0) return 0;
  await callSlack(retry, () =>
    client.files.uploadV2({
      channel_id: channel,
      thread_ts: threadTs,
      file_uploads: nonEmpty.map((f) => ({ content: f.content, filename: f.filename, title: f.title })),
    }),
  );
  return nonEmpty.length;
}

/** A file name from a node name: keeps [A-Za-z0-9._-]. */
export function safeFileName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100) || 'file';
}
