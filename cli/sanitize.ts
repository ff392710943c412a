// Makes text SSM (or whoever wrote a document, a step or an alarm) controls safe to print on a terminal or put in a CSV cell.

import { visibleText } from '../lambda/core/visible-text';

// What is removed, and why: lambda/core/visible-text.ts, shared with the notifications' text.

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
  return visibleText(text).text;
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
  const cleaned = visibleText(text);
  const startsFormula = FORMULA_STARTS.includes(cleaned.text.trimStart().charAt(0));
  const startsWithBreak = cleaned.first === '\t' || cleaned.first === '\r';
  return startsFormula || startsWithBreak ? `'${cleaned.text}` : cleaned.text;
}
