// Tests of what SSM's text becomes in Slack and e-mail: cleaned, defanged, escaped, cut; and the SNS subject.
import { describe, expect, it } from 'vitest';
import {
  cleanText,
  cutMiddle,
  cutSlack,
  defangUrls,
  MAX_SUBJECT_CHARS,
  plainText,
  slackText,
  subjectText,
} from '../../../lambda/core/notifications/text';

describe('Function: slackText', () => {
  it.each([
    ['<!channel> deploy', '&lt;!channel&gt; deploy'],
    ['<!here>', '&lt;!here&gt;'],
    ['ping <@U123ABC>', 'ping &lt;@U123ABC&gt;'],
    ['<http://x.example|click me>', '&lt;hxxp[:]//x[.]example|click me&gt;'],
    ['*bold* _it_ ~gone~ `code` ```block```', '∗bold∗ ˍitˍ ∼gone∼ ˋcodeˋ ˋˋˋblockˋˋˋ'],
    ['[docs](https://evil.example/a)', '[docs] (hxxps[:]//evil[.]example/a)'],
    ['> quoted', '&gt; quoted'],
    ['a & b', 'a &amp; b'],
    ['@channel and @here, mail ops@example.com', '＠channel and ＠here, mail ops@example.com'],
  ])('shows %j as text: %j', (input, expected) => {
    expect(slackText(input, 1000)).toBe(expected);
  });

  it('removes control characters, escape sequences whole, bidi and zero-width characters, and keeps emoji', () => {
    expect(slackText('ok\u0007\u001b[31m\u202Egnp.exe\u202C\u200B\u2066x\u2069\uFEFF 🚀', 100)).toBe(
      'okgnp.exex 🚀',
    );
    expect(
      slackText('a\u001b]0;pwned\u0007b\u001b]8;;http://evil.example\u001b\\c\u001b]8;;\u001b\\', 100),
    ).toBe('abc');
  });

  it('replaces lone surrogates and shows line breaks as a mark', () => {
    expect(slackText('a\uD800b\nc\r\nd\u2028e', 100)).toBe('a\uFFFDb ⏎ c ⏎ d ⏎ e');
  });

  it('cuts a long value in the middle, keeping its end', () => {
    const text = `${'a'.repeat(50_000)}THE CAUSE`;
    const shown = slackText(text, 200);
    expect(Array.from(shown)).toHaveLength(200);
    expect(shown.endsWith('THE CAUSE')).toBe(true);
    expect(shown).toMatch(/ … \[49837 characters cut\] … /);
  });
});

describe('Function: plainText', () => {
  it('defangs links and keeps markup characters as they are', () => {
    expect(plainText('see https://evil.example/x?y=1 or www.evil.example *now*', 500)).toBe(
      'see hxxps[:]//evil[.]example/x?y=1 or www[.]evil[.]example *now*',
    );
  });

  it('keeps line breaks of a multi-line value and drops control characters', () => {
    expect(plainText('line 1\r\nline\u0000 2\u0085end', 500, true)).toBe('line 1\nline 2\nend');
  });
});

describe('Function: cleanText', () => {
  it('drops tag characters and joiners of emoji sequences but keeps their pictographs', () => {
    expect(cleanText('👨\u200D👩 🏴\u{E0067}\u{E0062}\u{E007F}')).toBe('👨👩 🏴');
  });
});

describe('Function: defangUrls', () => {
  it('defangs scheme URLs of any scheme and www hosts, leaving other text', () => {
    expect(defangUrls('ftp://a.b/c s3://bucket.name/key www.x.y file.txt')).toBe(
      'fxp[:]//a[.]b/c s3[:]//bucket[.]name/key www[.]x[.]y file.txt',
    );
  });
});

describe('Function: cutMiddle', () => {
  it('leaves text within the limit as it is', () => {
    expect(cutMiddle('short', 5)).toBe('short');
  });

  it('counts a cut of text cut before from its length before', () => {
    // Prepare
    const text = `${'a'.repeat(50_000)}${'z'.repeat(50_000)}`;

    // Act
    const twice = cutMiddle(cutMiddle(text, 8000), 1500);

    // Assess
    expect(twice).toBe(cutMiddle(text, 1500));
    expect(Array.from(twice)).toHaveLength(1500);
    expect(Number(/\[(\d+) characters cut\]/.exec(twice)?.[1])).toBeGreaterThan(98_500);
  });

  it('never splits a surrogate pair', () => {
    const cut = cutMiddle('😀'.repeat(500), 100);
    expect(Array.from(cut)).toHaveLength(100);
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });
});

describe('Function: cutSlack', () => {
  it('never leaves half an entity at either side of the cut', () => {
    const escaped = slackText('<'.repeat(400), 1000);
    const cut = cutSlack(escaped, 101);
    const [head, tail] = cut.split(/ … \[\d+ characters cut\] … /);
    expect(head).toMatch(/^(&lt;)+$/);
    expect(tail).toMatch(/^(&lt;)+$/);
  });
});

describe('Function: subjectText', () => {
  it('is printable ASCII on one line, at most 99 characters, starting with a letter or digit', () => {
    const subject = subjectText(`<!channel> é 😀 \n ${'x'.repeat(300)}`);
    expect(subject).toMatch(/^[A-Za-z0-9][\x20-\x7E]*$/);
    expect(subject.length).toBe(MAX_SUBJECT_CHARS);
    expect(subject.startsWith('SSM <!channel> e ? x')).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
  });
});
