// The Slack shapes icsp-bot relies on: Block Kit blocks it builds, and the fields of incoming payloads it reads.
// Deliberately small: only what the bot uses, so the pure builders do not depend on @slack/* packages.

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
}

export type TextObject = PlainText | MrkdwnText;

export interface ButtonElement {
  type: 'button';
  action_id: string;
  text: PlainText;
  /** Opaque request id; the state is looked up server-side, never trusted from here. */
  value: string;
  style?: 'primary' | 'danger';
}

export interface PlainTextInputElement {
  type: 'plain_text_input';
  action_id: string;
  placeholder?: PlainText;
  dispatch_action_config?: { trigger_actions_on: Array<'on_enter_pressed' | 'on_character_entered'> };
}

export type Block =
  | { type: 'section'; block_id?: string; text: TextObject }
  | { type: 'header'; block_id?: string; text: PlainText }
  | { type: 'context'; block_id?: string; elements: TextObject[] }
  | { type: 'divider'; block_id?: string }
  | { type: 'actions'; block_id?: string; elements: ButtonElement[] }
  | { type: 'input'; block_id: string; dispatch_action: true; label: PlainText; element: PlainTextInputElement };

/** A message as posted: the fallback text (always set) and the blocks. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/** The fields of a slash-command payload the bot reads. */
export interface SlashCommandPayload {
  command: string;
  text: string;
  user_id: string;
  channel_id: string;
  team_id?: string;
  response_url: string;
  trigger_id?: string;
}

/** The fields of an app_mention event the bot reads. */
export interface AppMentionPayload {
  type: 'app_mention';
  user?: string;
  text: string;
  channel: string;
  ts: string;
  thread_ts?: string;
  /** Files shared with the mention (what-if reads a YAML file from here). */
  files?: Array<{ name?: string; size?: number; url_private_download?: string; url_private?: string }>;
}

/** The fields of a block_actions payload the bot reads. */
export interface BlockActionPayload {
  type: 'block_actions';
  user: { id: string };
  channel?: { id: string };
  container?: { channel_id?: string; message_ts?: string; thread_ts?: string };
  message?: { ts: string; thread_ts?: string };
  response_url?: string;
  actions: Array<{ action_id: string; value?: string; type: string }>;
}
