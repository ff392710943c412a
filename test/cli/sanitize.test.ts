// The output sanitizer: hostile strings from SSM leave no control, escape, bidi or invisible character behind.
import { describe, expect, it } from 'vitest';
import { csvSafe, terminalSafe } from '../../cli/sanitize';
import { forbiddenCharacters as forbiddenIn } from '../helpers/terminal-text';

const HOSTILE = [
  '=HYPERLINK("http://x")',
  "+cmd|' /C calc'!A0",
  '-2+3+cmd',
  '@SUM(1)',
  'before\x1b]0;title\x07after',
  'clear\x1b[2Jscreen',
  '\x1b]8;;http://evil.example/\x1b\\click here\x1b]8;;\x1b\\',
  'abc\u202Etxt.exe',
  '\u2066isolated\u2067rtl\u2068first\u2069',
  'zero\u200Bwidth\u200C\u200D\u2060\uFEFF',
  'lone \uD800 high and \uDC00 low',
  'c1 \u009B31m csi and \u009D0;t\u009C osc',
  'bell\x07 nul\x00 del\x7F back\x08space',
  'line\nfeed\r\ncrlf\ttab\u2028sep\u0085nel',
  '\x1bP dcs payload \x1b\\ after',
  'unterminated \x1b]0;title never ends',
  'esc at end \x1b',
  '\x1b(0 charset \x1bc reset \x1b7 save',
];

describe('Function: terminalSafe', () => {
  it('leaves no forbidden code unit in any hostile string', () => {
    for (const text of HOSTILE) {
      expect(forbiddenIn(terminalSafe(text)), JSON.stringify(text)).toEqual([]);
    }
  });

  it('removes escape sequences whole, keeping the visible text around them', () => {
    expect(terminalSafe('before\x1b]0;title\x07after')).toBe('beforeafter');
    expect(terminalSafe('clear\x1b[2Jscreen')).toBe('clearscreen');
    expect(terminalSafe('\x1b[1;31mred\x1b[0m')).toBe('red');
    expect(terminalSafe('\x1b[?25l hidden cursor')).toBe(' hidden cursor');
    expect(terminalSafe('\x1bP dcs payload \x1b\\ after')).toBe(' after');
    expect(terminalSafe('\x1b(0 charset \x1bc reset \x1b7 save')).toBe(' charset  reset  save');
  });

  it('keeps the text of an OSC 8 hidden link and drops its target', () => {
    const out = terminalSafe('\x1b]8;;http://evil.example/\x1b\\click here\x1b]8;;\x1b\\');
    expect(out).toBe('click here');
    expect(out).not.toContain('evil');
  });

  it('drops the C1 forms of CSI, OSC and ST like their ESC forms', () => {
    expect(terminalSafe('c1 \u009B31m csi and \u009D0;t\u009C osc')).toBe('c1  csi and  osc');
  });

  it('drops only the introducer of a string sequence that never ends', () => {
    expect(terminalSafe('unterminated \x1b]0;title never ends')).toBe('unterminated 0;title never ends');
    expect(terminalSafe('esc at end \x1b')).toBe('esc at end ');
  });

  it('turns tabs and line breaks into one space each, CR LF into one', () => {
    expect(terminalSafe('line\nfeed\r\ncrlf\ttab\u2028sep\u0085nel')).toBe('line feed crlf tab sep nel');
  });

  it('drops other controls, bidi controls, zero-width characters and lone surrogates', () => {
    expect(terminalSafe('bell\x07 nul\x00 del\x7F back\x08space')).toBe('bell nul del backspace');
    expect(terminalSafe('abc\u202Etxt.exe')).toBe('abctxt.exe');
    expect(terminalSafe('\u2066isolated\u2067rtl\u2068first\u2069\u200E\u200F\u061C')).toBe(
      'isolatedrtlfirst',
    );
    expect(terminalSafe('zero\u200Bwidth\u200C\u200D\u2060\uFEFF')).toBe('zerowidth');
    expect(terminalSafe('lone \uD800 high and \uDC00 low')).toBe('lone  high and  low');
  });

  it('keeps printable text, accents, other scripts and emoji byte for byte', () => {
    const text = 'Étape échouée: 磁盘已满 — ошибка 🚀 (exit 1) "quoted", 100% & <tag>';
    expect(Buffer.from(terminalSafe(text))).toEqual(Buffer.from(text));
  });

  it('returns an empty string for an empty string', () => {
    expect(terminalSafe('')).toBe('');
  });
});

describe('Function: csvSafe', () => {
  it('finds a formula behind any invisible format character, and drops tag characters', () => {
    expect(csvSafe('\u00AD=1+1')).toBe("'=1+1");
    expect(csvSafe('\u2061=1')).toBe("'=1");
    expect(terminalSafe('a\u{E0041}\u{E0042}b')).toBe('ab');
  });

  it('prefixes a quote to a cell that starts a formula', () => {
    expect(csvSafe('=HYPERLINK("http://x")')).toBe('\'=HYPERLINK("http://x")');
    expect(csvSafe("+cmd|' /C calc'!A0")).toBe("'+cmd|' /C calc'!A0");
    expect(csvSafe('-2+3+cmd')).toBe("'-2+3+cmd");
    expect(csvSafe('@SUM(1)')).toBe("'@SUM(1)");
  });

  it('prefixes a quote to a cell that starts with a tab or a carriage return, which become spaces', () => {
    expect(csvSafe('\tnote')).toBe("' note");
    expect(csvSafe('\r=1+1')).toBe("' =1+1");
    expect(csvSafe('\r\nnote')).toBe("' note");
  });

  it('finds a formula hidden behind invisible characters, escapes or leading spaces', () => {
    expect(csvSafe('\u200B=1+1')).toBe("'=1+1");
    expect(csvSafe('\u202E\uFEFF@SUM(1)')).toBe("'@SUM(1)");
    expect(csvSafe('\x1b[2J+cmd')).toBe("'+cmd");
    expect(csvSafe('   =1+1')).toBe("'   =1+1");
  });

  it('keeps no control: line breaks inside the cell become spaces', () => {
    for (const text of HOSTILE) {
      expect(forbiddenIn(csvSafe(text)), JSON.stringify(text)).toEqual([]);
    }
    expect(csvSafe('first line\nsecond line')).toBe('first line second line');
  });

  it('leaves an ordinary cell and a formula character further in alone, and does no quoting', () => {
    expect(csvSafe('disk full')).toBe('disk full');
    expect(csvSafe('a=b, c-d')).toBe('a=b, c-d');
    expect(csvSafe('say "hi"')).toBe('say "hi"');
    expect(csvSafe('')).toBe('');
  });
});
