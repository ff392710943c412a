// Makes text SSM (or whoever wrote a document, a step or an alarm) controls safe to print on a terminal or put in a CSV cell.

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
 * - Zero-width characters (U+200B–U+200D, U+2060, U+FEFF): they make two different names look
 *   alike and hide the start of a formula from a prefix check.
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

/** Characters that are not controls but change what is shown without being seen. */
function isInvisible(cp: number): boolean {
  return (
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0x200e ||
    cp === 0x200f ||
    cp === 0x061c ||
    (cp >= 0x200b && cp <= 0x200d) ||
    cp === 0x2060 ||
    cp === 0xfeff
  );
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
 * Where a string sequence whose payload starts at `from` ends (exclusive, past its terminator),
 * or `undefined` when it has none.
 */
function endOfString(text: string, from: number): number | undefined {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BEL || c === ST) return i + 1;
    if (c === ESC && text.charCodeAt(i + 1) === 0x5c) return i + 2;
  }
  return undefined;
}

/** Where the ESC sequence starting at `at` (the ESC) ends (exclusive). */
function endOfEscape(text: string, at: number): number {
  const next = text.charCodeAt(at + 1);
  if (next === 0x5b) return endOfCsi(text, at + 2);
  if (STRING_INTRODUCERS.has(next)) return endOfString(text, at + 2) ?? at + 2;
  // nF / Fp / Fe / Fs sequences: intermediates 0x20–0x2F, then a final byte 0x30–0x7E.
  let i = at + 1;
  while (i < text.length && text.charCodeAt(i) >= 0x20 && text.charCodeAt(i) <= 0x2f) i++;
  if (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x7e) return i + 1;
  return at + 1;
}

/** The cleaned text, and the original character that produced its first character. */
interface Cleaned {
  readonly text: string;
  readonly first: string | undefined;
}

function clean(text: string): Cleaned {
  let out = '';
  let first: string | undefined;
  const emit = (kept: string, from: string): void => {
    if (out === '') first = from;
    out += kept;
  };
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i) ?? 0;
    const width = cp > 0xffff ? 2 : 1;
    if (cp === ESC) {
      i = endOfEscape(text, i);
    } else if (cp === C1_CSI) {
      i = endOfCsi(text, i + 1);
    } else if (C1_STRING_INTRODUCERS.has(cp)) {
      i = endOfString(text, i + 1) ?? i + 1;
    } else if (BREAKS.has(cp)) {
      emit(' ', text.charAt(i));
      i += cp === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1;
    } else if (isControl(cp) || isInvisible(cp) || (cp >= 0xd800 && cp <= 0xdfff)) {
      // codePointAt returns a surrogate only when it has no partner: a lone one.
      i += 1;
    } else {
      const char = text.slice(i, i + width);
      emit(char, char);
      i += width;
    }
  }
  return { text: out, first };
}

/**
 * Text safe to write to a terminal: no control character, no escape sequence, no bidirectional
 * control, no zero-width character, no lone surrogate. Tabs and line breaks become one space each
 * (split text into lines first where lines matter). Printable text, emoji and non-Latin scripts are
 * kept as they are; JSON output is never passed through this (it must stay exact).
 *
 * @param text - text from SSM or an alarm: a failure message, a step, document or alarm name
 * @returns the text with everything that could move the cursor, change the terminal or disguise
 *   what is shown removed
 *
 * @example
 * ```ts
 * terminalSafe('Step failed\x1b[2J\x1b]0;pwned\x07: disk full\n  retry');
 * // 'Step failed: disk full   retry'
 * terminalSafe('\x1b]8;;http://evil.example\x1b\\docs\x1b]8;;\x1b\\');
 * // 'docs' (the hidden link is gone, its visible text stays)
 * terminalSafe('invoice\u202Efdp.exe'); // 'invoicefdp.exe'
 * ```
 */
export function terminalSafe(text: string): string {
  return clean(text).text;
}

/** First characters that make a spreadsheet read a cell as a formula (OWASP "CSV Injection"). */
const FORMULA_STARTS = ['=', '+', '-', '@'];

/**
 * A CSV cell's content that a spreadsheet shows as text and never runs as a formula: the same
 * removal as {@link terminalSafe} (no control is kept: tabs and line breaks become spaces), then,
 * as OWASP's "CSV Injection" page advises, a leading `'` when the cell starts with `=`, `+`, `-`,
 * `@`, a tab or a carriage return. The check is made after removal, so a zero-width character or an
 * escape sequence in front of `=` does not hide it, and also past leading spaces (some spreadsheets
 * trim them before reading a formula). Quoting (commas, quotes) stays the CSV writer's job.
 *
 * @param text - text from SSM or an alarm, to become one cell
 * @returns the cell's content, unquoted
 *
 * @example
 * ```ts
 * csvSafe('=HYPERLINK("http://x")'); // `'=HYPERLINK("http://x")`
 * csvSafe('\u200B@SUM(1)');          // `'@SUM(1)`
 * csvSafe('\tnote');                 // `' note`
 * csvSafe('disk full');              // 'disk full'
 * ```
 */
export function csvSafe(text: string): string {
  const cleaned = clean(text);
  const startsFormula = FORMULA_STARTS.includes(cleaned.text.trimStart().charAt(0));
  const startsWithBreak = cleaned.first === '\t' || cleaned.first === '\r';
  return startsFormula || startsWithBreak ? `'${cleaned.text}` : cleaned.text;
}
