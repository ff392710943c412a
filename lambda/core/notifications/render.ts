// Renders a notification for each channel: the AWS Chatbot custom notification (Slack), a plain-text e-mail, an SNS subject, and the SNS message that carries them.
import { cutMiddle, cutSlack, MAX_SUBJECT_CHARS, plainText, slackText, subjectText } from './text';

/**
 * Limits of an AWS Chatbot (Amazon Q Developer in chat applications) custom notification, from its
 * user guide ("Custom notifications", parameter details): `title` up to 250 characters, `description`
 * up to 8,000. The description is kept under Slack's own 3,000 characters of one text section as well.
 */
export const CHATBOT_LIMITS = { title: 250, description: 3000, keyword: 50, keywords: 5 } as const;
/** SNS refuses a message of more than 256 KB (UTF-8 bytes), every protocol's text together. */
export const MAX_SNS_MESSAGE_BYTES = 262_144;
/** The e-mail body's size cap, well below SNS's message limit with the Chatbot JSON beside it. */
export const MAX_EMAIL_CHARS = 100_000;

/**
 * A piece of text in a message. SSM's text (`ssm`) is escaped and cut for each channel, to `slack`
 * and `email` code points; our own text is written as is.
 */
export type TextPart =
  | { readonly ours: string }
  | {
      readonly ssm: string;
      readonly slack: number;
      readonly email: number;
      /** Keep line breaks in e-mail (a failure message). @default false */
      readonly multiline?: boolean;
    };

/** One line of a message: a label of ours (optional) and its value. */
export interface MessageLine {
  readonly label?: string;
  readonly value: readonly TextPart[];
  /** An item of a list: a bullet in both channels. */
  readonly bullet?: boolean;
  /** Our own link (the console), written after the value. */
  readonly link?: string;
}

/** A notification before it is rendered for a channel. */
export interface NotificationMessage {
  /** Unique per message: the Chatbot `id`. */
  readonly id: string;
  /** What it says: a step, execution or alarm of its own, or a part of a run's digest. */
  readonly kind: MessageKind;
  /** The execution whose thread it belongs to (the parent, for a digest). */
  readonly threadId: string;
  /** The Chatbot `eventType`: the detail type, or `Automation Run Digest`. */
  readonly eventType: string;
  readonly title: readonly TextPart[];
  readonly lines: readonly MessageLine[];
  /** Chatbot keywords (statuses, runbook name), SSM's text. */
  readonly keywords: readonly string[];
}

/** What a notification says. */
export const MESSAGE_KINDS = [
  'step',
  'execution',
  'alarm',
  'digest-first',
  'digest-update',
  'digest-final',
] as const;
/** One of {@link MESSAGE_KINDS}. */
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** An AWS Chatbot custom notification (version 1.0). */
export interface ChatbotNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly keywords: readonly string[];
  };
  readonly metadata: { readonly threadId: string; readonly summary: string; readonly eventType: string };
}

/** A notification as each channel gets it. */
export interface RenderedNotification {
  readonly kind: MessageKind;
  /** The SNS `Subject` (e-mail subject line). */
  readonly subject: string;
  /** What AWS Chatbot posts to Slack. */
  readonly chatbot: ChatbotNotification;
  /** The Slack text: the title, a blank line, the description, as Chatbot shows them. */
  readonly slackText: string;
  /** The e-mail body. */
  readonly email: string;
  /** The SNS `Message` with `MessageStructure: 'json'`: Chatbot JSON for `default` and `https`, text for `email`. */
  readonly snsMessage: string;
}

function slackOf(parts: readonly TextPart[]): string {
  return parts.map((part) => ('ours' in part ? part.ours : slackText(part.ssm, part.slack))).join('');
}

function emailOf(parts: readonly TextPart[]): string {
  return parts
    .map((part) => ('ours' in part ? part.ours : plainText(part.ssm, part.email, part.multiline ?? false)))
    .join('');
}

function slackLine(line: MessageLine): string {
  const words = [line.label && `*${line.label}:*`, slackOf(line.value), line.link].filter(Boolean);
  return `${line.bullet ? '• ' : ''}${words.join(' ')}`;
}

function emailLine(line: MessageLine): string {
  const indent = line.bullet ? '    ' : '  ';
  // Continuation lines of a multi-line value are indented under their label.
  const value = emailOf(line.value).replace(/\n/g, `\n${indent}`);
  const head = [line.label && `${line.label}:`, value].filter(Boolean).join(' ');
  // A bullet's link goes on a line of its own, so that a mail client links it alone.
  const link = line.link
    ? line.bullet
      ? `\n${indent}${line.link}`
      : head
        ? ` ${line.link}`
        : line.link
    : '';
  return `${line.bullet ? '  - ' : ''}${head}${link}`;
}

/**
 * The description within Chatbot's limit: the last line (the console link) always stays; what comes
 * before it is cut in the middle if need be.
 */
function fitDescription(lines: readonly string[], max: number): string {
  const text = lines.join('\n');
  if (Array.from(text).length <= max) return text;
  const last = lines[lines.length - 1] ?? '';
  const body = lines.slice(0, -1).join('\n');
  return `${cutSlack(body, Math.max(0, max - Array.from(last).length - 1))}\n${last}`;
}

/**
 * Renders a notification for every channel, each within its limits.
 *
 * @example
 * const { snsMessage, subject } = renderNotification(message);
 * await topic.publish({ message: snsMessage, subject });
 */
export function renderNotification(message: NotificationMessage): RenderedNotification {
  const title = cutSlack(slackOf(message.title), CHATBOT_LIMITS.title);
  const description = fitDescription(message.lines.map(slackLine), CHATBOT_LIMITS.description);
  const keywords = message.keywords
    .slice(0, CHATBOT_LIMITS.keywords)
    .map((keyword) => cutSlack(slackText(keyword, CHATBOT_LIMITS.keyword), CHATBOT_LIMITS.keyword));
  const emailTitle = emailOf(message.title);
  const chatbot: ChatbotNotification = {
    version: '1.0',
    source: 'custom',
    id: message.id,
    content: { textType: 'client-markdown', title, description, keywords },
    metadata: { threadId: message.threadId, summary: title, eventType: message.eventType },
  };
  const chatbotJson = JSON.stringify(chatbot);
  const full = [emailTitle, '', ...message.lines.map(emailLine)].join('\n');
  // Values were cleaned and defanged already; cutting the whole body must not defang our own link.
  let email = cutMiddle(full, MAX_EMAIL_CHARS);
  const room = MAX_SNS_MESSAGE_BYTES - 2 * Buffer.byteLength(chatbotJson, 'utf8') - 1024;
  // JSON escaping can take six bytes per character; cut until the whole message fits.
  for (let maxChars = MAX_EMAIL_CHARS; Buffer.byteLength(JSON.stringify(email), 'utf8') > room; ) {
    maxChars = Math.floor(maxChars / 2);
    email = cutMiddle(full, maxChars);
  }
  const snsMessage = JSON.stringify({ default: chatbotJson, https: chatbotJson, email });
  return {
    kind: message.kind,
    subject: subjectText(emailTitle).slice(0, MAX_SUBJECT_CHARS),
    chatbot,
    slackText: `${title}\n\n${description}`,
    email,
    snsMessage,
  };
}
