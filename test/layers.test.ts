// The layering of the source tree: every relative import points down core ← adapters ← cycle ← runtime/handlers ← lib, cli, sandbox, bench, bin.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const SOURCE_DIRS = ['lambda', 'lib', 'cli', 'sandbox', 'bench', 'bin'];

/** Where each layer may import from (by the first one or two path segments of the imported file). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  'lambda/core': ['lambda/core'],
  'lambda/adapters': ['lambda/core', 'lambda/adapters'],
  // The cycle works through the core's ports; the adapters are wired in by the runtime.
  'lambda/cycle': ['lambda/core', 'lambda/cycle'],
  'lambda/runtime': ['lambda/core', 'lambda/adapters', 'lambda/cycle', 'lambda/runtime'],
  'lambda/handlers': ['lambda/core', 'lambda/adapters', 'lambda/cycle', 'lambda/runtime', 'lambda/handlers'],
};
/** The layers above the Lambda code: they may import any of it and each other, never the tests. */
const OUTER = ['lib', 'cli', 'sandbox', 'bench', 'bin'];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, statically or with `import()`. */
function specifiersOf(text: string): string[] {
  const patterns = [
    /\bfrom\s+['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /^\s*import\s+['"]([^'"]+)['"]/gm,
  ];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((match) => match[1] ?? ''));
}

/** The layer of a repository path: `lambda/<folder>` inside lambda/, else its top folder. */
function layerOf(path: string): string {
  const [top = '', second = ''] = path.split('/');
  return top === 'lambda' ? `lambda/${second}` : top;
}

/** Each import that runs up the layering, as `file: 'specifier' (layer -> layer)`. */
function violations(): string[] {
  const found: string[] = [];
  for (const file of SOURCE_DIRS.flatMap(sourceFiles)) {
    const from = layerOf(file);
    for (const specifier of specifiersOf(readFileSync(join(root, file), 'utf8'))) {
      const say = (why: string) => found.push(`${file}: '${specifier}' (${why})`);
      if (!specifier.startsWith('.')) {
        if (from === 'lambda/core' && specifier.startsWith('@aws-sdk/')) say('the core imports no AWS SDK');
        continue;
      }
      const target = relative(root, resolve(root, dirname(file), specifier));
      // The package manifest (the CLI's --version) is metadata, not a layer.
      if (target === 'package.json' && OUTER.includes(from)) continue;
      const to = layerOf(target);
      if (to === 'test') {
        say('only tests import from test/');
        continue;
      }
      const allowed = ALLOWED[from];
      if (allowed !== undefined) {
        if (!allowed.includes(to)) say(`${from} may not import ${to}`);
      } else if (!OUTER.includes(from) || !(OUTER.includes(to) || to.startsWith('lambda/'))) {
        say(`${from} may not import ${to}`);
      }
    }
  }
  return found;
}

describe('Project: layering', () => {
  it('finds no import that runs up core ← adapters ← cycle ← runtime/handlers ← lib, cli, sandbox, bench, bin', () => {
    expect(violations()).toEqual([]);
  });

  it('reads the imports it checks', () => {
    // A parser that found nothing would pass the test above whatever the tree held.
    expect(
      specifiersOf("import { a } from '../core/a';\nexport { b } from './b';\nawait import('../x');"),
    ).toEqual(['../core/a', './b', '../x']);
    expect(sourceFiles('lambda').length).toBeGreaterThan(20);
  });
});
