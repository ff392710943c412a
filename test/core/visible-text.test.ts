// Tests of the one scanner behind terminal, CSV, Slack and e-mail text: what it removes, and what line breaks become.
import { describe, expect, it } from 'vitest';
import { visibleText } from '../../lambda/core/visible-text';

describe('Function: visibleText', () => {
  it('removes escape sequences whole, controls, bidi and zero-width characters, and keeps other text', () => {
    const hostile = 'a\u001b[2J\u001b]0;title\u0007b\u202Ec\u200Bd\u0000e 🚀 ü';

    expect(visibleText(hostile).text).toBe('abcde 🚀 ü');
  });

  it('makes each line break one space by default, and a newline when asked', () => {
    const text = 'one\r\ntwo\nthree\u2028four\tfive';

    expect(visibleText(text).text).toBe('one two three four five');
    expect(visibleText(text, 'newline').text).toBe('one\ntwo\nthree\nfour five');
  });

  it('tells which character of the input its output starts with', () => {
    expect(visibleText('\u200B\tx').first).toBe('\t');
    expect(visibleText('\u001b[31m=1').first).toBe('=');
    expect(visibleText('\u0007').first).toBeUndefined();
  });

  it('reads text of many unterminated string introducers in one pass, dropping each introducer', () => {
    // 125,000 introducers with no terminator: scanning to the end for each would outlast the test's timeout
    const hostile = `${'\u001bP'.repeat(125_000)}tail`;

    expect(visibleText(hostile).text).toBe('tail');
  });
});
