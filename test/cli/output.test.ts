// A read command's output helpers: the JSON line that is exact yet safe to print.
import { describe, expect, it } from 'vitest';
import { jsonLine } from '../../cli/output';
import { forbiddenCharacters } from '../helpers/terminal-text';

describe('Function: jsonLine', () => {
  const hostile = {
    documentName: '=HYPERLINK("http://x")\x1b]0;title\x07\x1b[2J',
    stepName: 'a\u202Eb\u2066c\u2069\u200B\uFEFF\u061C\u200E',
    failureMessage: 'c1 \u009B31m del \x7F sep \u2028 lone \uD800 end\nnext',
    link: '\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\',
  };

  it('parses back to the same value, hostile text included', () => {
    expect(JSON.parse(jsonLine(hostile))).toEqual(hostile);
  });

  it('writes every control, bidi and zero-width character as a \\u escape', () => {
    const line = jsonLine(hostile);
    expect(forbiddenCharacters(line)).toEqual([]);
    expect(line).toContain('a\\u202eb\\u2066c\\u2069\\u200b\\ufeff\\u061c\\u200e');
    expect(line).toContain('c1 \\u009b31m del \\u007f sep \\u2028 lone \\ud800 end\\nnext');
  });

  it('is byte for byte JSON.stringify for ordinary text', () => {
    const plain = { name: 'Étape 🚀 磁盘', n: 1, list: [null, true] };
    expect(jsonLine(plain)).toBe(JSON.stringify(plain));
  });
});
