// The one scanner that removes what SSM text (failure messages, step, document, alarm names) must not carry into anything a person reads.

/*
 * What is removed, and why (each is text an SSM caller chooses: failure messages, step, document
 * and alarm names):
 * - C0 controls (U+0000–U+001F, U+007F) and C1 controls (U+0080–U+009F): they move the cursor,
 *   clear the screen, ring the bell or start an escape sequence (C1 CSI U+009B is ESC [ in one).
 *   Tab, line feed, vertical tab, form feed, carriage return, NEL (U+0085) and the line and
 *   paragraph separators (U+2028, U+2029) become one space each (CR LF one space together), so words
 *   stay apart; a caller that wants lines splits them before sanitizing.
 * - Escape sequences, whole: CSI (ESC [ … final byte), OSC (ESC ] … BEL or ST: window titles,
 *   OSC 8 hidden links), DCS, SOS, PM and APC strings (ESC P, X, ^, _ … ST), and the two-byte
 *   ESC sequences. A string sequence with no terminator loses only its introducer: its payload is
 *   then plain text (a terminal would have swallowed it; showing it hides nothing).
 * - Bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C): they reorder
 *   what is displayed, so a name reads differently from what it is ("Trojan Source").
 * - Zero-width characters (U+200B–U+200D, U+2060, U+FEFF) and every other format character
 *   (`\p{Cf}`: soft hyphens, invisible operators, tag characters): they make two different names
 *   look alike and hide the start of a formula from a prefix check.
 * - Lone surrogates: not text; a terminal or a spreadsheet shows them as garbage or refuses the line.
 */

const ESC = 0x1b;
const BEL = 0x07;
/** C1 String Terminator; ESC \ is its 7-bit form. */
const ST = 0x9c;

/** Introducers (after ESC) of the sequences that run to a terminator: DCS, SOS, OSC, PM, APC. */
const STRING_INTRODUCERS = new Set([0x50, 0x58, 0x5d, 0x5e, 0x5f]);
/** The C1 forms of the same: DCS, SOS, OSC, PM, APC. */
const C1_STRING_INTRODUCERS = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
const C1_CSI = 0x9b;

/** Controls that separate words or lines: each becomes one space. */
const BREAKS = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x85, 0x2028, 0x2029]);

/**
 * Unicode format characters (`\p{Cf}`): the bidi controls, zero-width spaces and joiners, the word
 * joiner, the byte-order mark, soft hyphens, invisible operators, tag characters and the rest.
 */
const FORMAT_CHARACTER = /^\p{Cf}$/u;

/** Characters that are not controls but change what is shown without being seen. */
function isInvisible(cp: number): boolean {
  return FORMAT_CHARACTER.test(String.fromCodePoint(cp));
}

function isControl(cp: number): boolean {
  return cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f);
}

/** Where a CSI sequence that starts its parameters at `from` ends (exclusive). */
function endOfCsi(text: string, from: number): number {
  let i = from;
  // Parameter bytes 0x30–0x3F, then intermediate bytes 0x20–0x2F, then one final byte 0x40–0x7E.
  while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x3f) i++;
  while (i < text.length && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i++;
  if (i < text.length && text.charCodeAt(i) >= 0x40 && text.charCodeAt(i) <= 0x7e) i++;
  return i;
}

/**
 * What a scan of one text has learnt: from `noneFrom` on there is no string terminator, so a string
 * sequence starting there has none either. Without it, text of many unterminated introducers
 * (`ESC P` again and again) would be scanned to its end once per introducer: quadratic.
 */
interface ScanState {
  noneFrom: number;
}

/**
 * Where a string sequence whose payload starts at `from` ends (exclusive, past its terminator),
 * or `undefined` when it has none.
 */
function endOfString(text: string, from: number, state: ScanState): number | undefined {
  if (from >= state.noneFrom) return undefined;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BEL || c === ST) return i + 1;
    if (c === ESC && text.charCodeAt(i + 1) === 0x5c) return i + 2;
  }
  state.noneFrom = from;
  return undefined;
}

/** Where the ESC sequence starting at `at` (the ESC) ends (exclusive). */
function endOfEscape(text: string, at: number, state: ScanState): number {
  const next = text.charCodeAt(at + 1);
  if (next === 0x5b) return endOfCsi(text, at + 2);
  if (STRING_INTRODUCERS.has(next)) return endOfString(text, at + 2, state) ?? at + 2;
  // nF / Fp / Fe / Fs sequences: intermediates 0x20–0x2F, then a final byte 0x30–0x7E.
  let i = at + 1;
  while (i < text.length && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i++;
  if (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x7e) return i + 1;
  return at + 1;
}

/** Line feed, carriage return, NEL and the Unicode line and paragraph separators: where a line ends. */
const LINE_ENDS = new Set([0x0a, 0x0d, 0x85, 0x2028, 0x2029]);

/** What line breaks become: one space each, or `\n` (tabs, vertical tabs and form feeds are spaces either way). */
export type LineBreaks = 'space' | 'newline';

/** Text with nothing unsafe left, and the original character that produced its first character. */
export interface VisibleText {
  readonly text: string;
  /** The character of the input the output's first character came from (a tab became a space). */
  readonly first: string | undefined;
}

/**
 * Removes controls, escape sequences (whole), bidirectional controls, zero-width characters and lone
 * surrogates from `text`; printable text, emoji and other scripts stay. The terminal and CSV output
 * of the CLI and the Slack and e-mail text of notifications are all made from it.
 *
 * @example
 * visibleText('a\x1b]0;title\x07b\u202Ec\r\nd').text; // 'abc d'
 * visibleText('a\r\nb', 'newline').text;                  // 'a\nb'
 */
export function visibleText(text: string, lineBreaks: LineBreaks = 'space'): VisibleText {
  let out = '';
  let first: string | undefined;
  const emit = (kept: string, from: string): void => {
    if (out === '') first = from;
    out += kept;
  };
  const state: ScanState = { noneFrom: text.length };
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i) ?? 0;
    const width = cp > 0xffff ? 2 : 1;
    if (cp === ESC) {
      i = endOfEscape(text, i, state);
    } else if (cp === C1_CSI) {
      i = endOfCsi(text, i + 1);
    } else if (C1_STRING_INTRODUCERS.has(cp)) {
      i = endOfString(text, i + 1, state) ?? i + 1;
    } else if (BREAKS.has(cp)) {
      emit(lineBreaks === 'newline' && LINE_ENDS.has(cp) ? '\n' : ' ', text.charAt(i));
      i += cp === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1;
    } else if (isControl(cp) || isInvisible(cp) || (cp >= 0xd800 && cp <= 0xdfff)) {
      // codePointAt returns a surrogate only when it has no partner: a lone one (width 1).
      i += width;
    } else {
      const char = text.slice(i, i + width);
      emit(char, char);
      i += width;
    }
  }
  return { text: out, first };
}
