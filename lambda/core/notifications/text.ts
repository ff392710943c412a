// Makes text SSM controls (failure messages, runbook, step, alarm and target names) safe for Slack and e-mail: cleaned, defanged, escaped, cut to size.
import { visibleText } from '../visible-text';

/**
 * Characters no message keeps: C0 and C1 controls and DEL (`\p{Cc}`; line breaks and tabs are handled apart), and
 * every Unicode format character (`\p{Cf}`: bidi embeddings, overrides and isolates, zero-width
 * spaces and joiners, the word joiner, the byte-order mark, soft hyphens, tag characters).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;
/** A UTF-16 surrogate without its other half: JSON.stringify would write it as an escape SNS may refuse. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Line breaks of every kind, including Unicode's line and paragraph separators. */
const LINE_BREAKS = /\r\n|[\r\n\u2028\u2029\u0085]/g;
/** A link a mail client or Slack would make clickable: a scheme URL or a `www.` host. */
const URL_LIKE = /\b(?:[a-z][a-z0-9+.-]{1,15}:\/\/|www\.)[^\s<>"']*/giu;
/** What is shown for a line break inside a one-line value. */
export const LINE_BREAK_MARK = ' ⏎ ';

/**
 * Slack mrkdwn has no escape character for emphasis, code or strike-through, so the markers are
 * replaced by look-alikes that Slack does not read as markup (and a reader still recognises).
 */
const SLACK_MARKUP: Readonly<Record<string, string>> = {
  '*': '\u2217', // ∗ asterisk operator
  _: '\u02CD', // ˍ modifier letter low macron
  '~': '\u223C', // ∼ tilde operator
  '`': '\u02CB', // ˋ modifier letter grave accent
};

/**
 * Removes what no reader should get: control characters and escape sequences whole
 * ({@link visibleText}), bidi, zero-width and other invisible format characters; lone surrogates
 * become U+FFFD. Line breaks are normalised to `\n` when `multiline`,
 * else shown as {@link LINE_BREAK_MARK}; tabs become spaces.
 *
 * @example
 * cleanText('a\u202Eb\u0007c') // 'abc'
 */
export function cleanText(text: string, multiline = false): string {
  // Escape sequences go whole (a window title's text with them), then any format character left.
  const lines = visibleText(text.replace(LONE_SURROGATE, '\uFFFD').replace(LINE_BREAKS, '\n'), 'newline')
    .text.replace(/\t/g, ' ')
    .replace(INVISIBLE, (char) => (char === '\n' ? char : ''));
  return multiline ? lines : lines.replace(/\n+/g, LINE_BREAK_MARK);
}

/**
 * Defangs links in SSM's text so that neither Slack nor a mail client turns them into links:
 * `https://evil.example/x` becomes `hxxps[:]//evil[.]example/x`, `www.evil.example` becomes
 * `www[.]evil[.]example`. Our own console link is never passed through it.
 */
export function defangUrls(text: string): string {
  return text.replace(URL_LIKE, (url) => {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
    const rest = scheme ? url.slice(scheme[0].length) : url;
    const slash = rest.search(/[/?#]/);
    const host = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? '' : rest.slice(slash);
    const fangless = scheme ? `${scheme[1]?.replace(/^http/i, 'hxxp').replace(/^ftp/i, 'fxp')}[:]//` : '';
    return `${fangless}${host.replace(/\./g, '[.]')}${path}`;
  });
}

/**
 * SSM's text as Slack mrkdwn shows it literally: cleaned, links defanged, `&`, `<` and `>` escaped as
 * Slack requires (so `<!channel>`, `<@U123>` or `<http://x|y>` stay text), emphasis, code and
 * strike-through markers replaced by look-alikes, a Markdown link's `](` split, and an `@` that
 * could start a mention replaced by a full-width one.
 *
 * @example
 * slackText('<!channel> *now*') // '&lt;!channel&gt; ∗now∗'
 */
export function slackText(text: string, maxChars: number): string {
  const cut = cutMiddle(cleanText(text), maxChars);
  const escaped = defangUrls(cut).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return escaped
    .replace(/[*_~`]/g, (marker) => SLACK_MARKUP[marker] ?? marker)
    .replace(/\]\(/g, '] (')
    .replace(/(^|[\s(["'])@(?=\S)/g, '$1\uFF20');
}

/**
 * SSM's text for a plain-text e-mail: cleaned (line breaks kept when `multiline`), links defanged,
 * cut to `maxChars`. Nothing else is escaped: plain text has no markup.
 */
export function plainText(text: string, maxChars: number, multiline = false): string {
  return defangUrls(cutMiddle(cleanText(text, multiline), maxChars));
}

/** The marker {@link cutMiddle} writes where it cut. */
const CUT_MARKER = / … \[(\d+) characters cut\] … /;

/**
 * Cuts text longer than `maxChars` code points in the middle, keeping a third from the start and
 * the rest from the end (a failure message's cause is usually at its end), with a marker saying how
 * much was cut. Never splits a surrogate pair. Text cut before (a message's SSM text is cut to the
 * larger channel budget when it is built) is counted from its length before: the earlier marker,
 * when it falls in what is cut now, adds what it stood for.
 *
 * @example
 * cutMiddle('x'.repeat(1000), 60) // 'xxxxxxxxxxx … [950 characters cut] … xxxxxxxxxxxxxxxxxxxxxx'
 */
export function cutMiddle(text: string, maxChars: number): string {
  const chars = Array.from(text);
  if (chars.length <= maxChars) return text;
  const earlier = earlierCut(text);
  const cutCount = (keep: number): number => {
    const head = Math.floor(keep / 3);
    const inside = earlier && earlier.start >= head && earlier.end <= chars.length - (keep - head);
    return chars.length - keep + (inside ? earlier.cut - (earlier.end - earlier.start) : 0);
  };
  let marker = ` … [${cutCount(maxChars)} characters cut] … `;
  for (let i = 0; i < 3; i += 1) {
    const keep = Math.max(0, maxChars - marker.length);
    marker = ` … [${cutCount(keep)} characters cut] … `;
  }
  const keep = Math.max(0, maxChars - marker.length);
  if (keep === 0) return chars.slice(chars.length - maxChars).join('');
  const head = Math.floor(keep / 3);
  return `${chars.slice(0, head).join('')}${marker}${chars.slice(chars.length - (keep - head)).join('')}`;
}

/** Where an earlier cut's marker is (code points) and how many characters it stood for. */
function earlierCut(text: string): { start: number; end: number; cut: number } | null {
  const found = CUT_MARKER.exec(text);
  if (!found) return null;
  const start = Array.from(text.slice(0, found.index)).length;
  return { start, end: start + found[0].length, cut: Number(found[1]) };
}

/**
 * Cuts already-escaped Slack text to `maxChars` code points, in the middle, without splitting one of
 * the entities {@link slackText} writes (`&amp;`, `&lt;`, `&gt;`).
 */
export function cutSlack(text: string, maxChars: number): string {
  const cut = cutMiddle(text, maxChars);
  if (cut === text) return text;
  const marker = / … \[\d+ characters cut\] … /.exec(cut);
  if (!marker) return cut;
  const head = cut.slice(0, marker.index).replace(/&[a-z]{0,3}$/, '');
  const tail = cut.slice(marker.index + marker[0].length).replace(/^[a-z]{0,3};/, '');
  return `${head}${marker[0]}${tail}`;
}

/** SNS refuses a subject of 100 characters or more. */
export const MAX_SUBJECT_CHARS = 99;

/**
 * An SNS `Subject` from a title: printable ASCII only (accents dropped, anything else `?`), links
 * defanged, one line, starting with a letter or digit, at most {@link MAX_SUBJECT_CHARS} characters.
 */
export function subjectText(title: string): string {
  const ascii = defangUrls(cleanText(title).replaceAll(LINE_BREAK_MARK, ' '))
    .normalize('NFKD')
    .replace(/[\u0300-\u036F]/g, '')
    .replace(/[^\x20-\x7E]/gu, '?')
    .replace(/\s+/g, ' ')
    .trim();
  const subject = /^[A-Za-z0-9]/.test(ascii) ? ascii : `SSM ${ascii}`.trim();
  return subject.length <= MAX_SUBJECT_CHARS
    ? subject
    : `${subject.slice(0, MAX_SUBJECT_CHARS - 3).trimEnd()}...`;
}
