// What may never reach a terminal or a CSV cell from SSM text: a checker over the characters printed.

/** Options of {@link forbiddenCharacters}. */
export interface ForbiddenOptions {
  /** Allow line feeds (the line separator of the output itself). @default false */
  readonly newlines?: boolean;
}

/**
 * Every character of `text` that a sanitized output must not contain (C0 and C1 controls, DEL,
 * bidi controls, zero-width characters, line and paragraph separators, lone surrogates), each as
 * `U+XXXX at <index>`; empty when the text is clean.
 */
export function forbiddenCharacters(text: string, options: ForbiddenOptions = {}): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const high = c >= 0xd800 && c <= 0xdbff;
    const low = c >= 0xdc00 && c <= 0xdfff;
    const next = text.charCodeAt(i + 1);
    const previous = text.charCodeAt(i - 1);
    const lone =
      (high && !(next >= 0xdc00 && next <= 0xdfff)) || (low && !(previous >= 0xd800 && previous <= 0xdbff));
    const bad =
      (c <= 0x1f && !(options.newlines === true && c === 0x0a)) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069) ||
      c === 0x200e ||
      c === 0x200f ||
      c === 0x061c ||
      (c >= 0x200b && c <= 0x200d) ||
      c === 0x2060 ||
      c === 0xfeff ||
      c === 0x2028 ||
      c === 0x2029 ||
      lone;
    if (bad) found.push(`U+${c.toString(16).toUpperCase().padStart(4, '0')} at ${i}`);
  }
  return found;
}
