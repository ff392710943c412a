// Headless Chromium for the bench's page loads and the browser tests: the build inside the @sparticuz/chromium package, unpacked once per version.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sparticuz, { inflate } from '@sparticuz/chromium';
import { type Browser, chromium } from 'playwright-core';
import { BenchError } from './errors';

/** Where the package lives: `node_modules/@sparticuz/chromium`. */
const PACKAGE_ROOT = join(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..');
const VERSION: string = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version;
/** `node_modules/.cache`: gone with the next `npm ci`, like the package itself. */
const CACHE_ROOT = join(PACKAGE_ROOT, '..', '..', '.cache');
const UNPACKED = join(CACHE_ROOT, `sparticuz-chromium-${VERSION}`);

/**
 * Headless, sandbox off (tests may run as root), and nothing that reaches out to the network on its own:
 * the bench and the tests run on machines with no network but loopback.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Unpacks the package's brotli archives (browser, SwiftShader, Open Sans, and the NSS libraries it links)
 * into `node_modules/.cache/sparticuz-chromium-<version>` and returns that folder.
 *
 * Test processes may unpack at the same time: each one unpacks into a folder of its own and renames it into
 * place, which only the first can do; the others use the first one's copy. So a half-written browser is
 * never launched.
 */
async function unpacked(): Promise<string> {
  if (existsSync(join(UNPACKED, 'chromium'))) return UNPACKED;
  await mkdir(CACHE_ROOT, { recursive: true });
  const staging = await mkdtemp(join(CACHE_ROOT, `.unpacking-chromium-${VERSION}-`));
  // The package unpacks into os.tmpdir(); point that at the staging folder while it does.
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = staging;
  try {
    await sparticuz.executablePath();
    await inflate(join(PACKAGE_ROOT, 'bin', 'al2023.tar.br'));
    // The package's own fonts.conf names fixed /tmp folders; this one names the unpacked fonts.
    await writeFile(
      join(staging, 'fonts.conf'),
      [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
        '<fontconfig>',
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
        `  <dir>${join(UNPACKED, 'fonts')}</dir>`,
        `  <cachedir>${join(UNPACKED, 'fonts-cache')}</cachedir>`,
        '</fontconfig>',
        '',
      ].join('\n'),
    );
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw new BenchError(`Could not unpack the Chromium in @sparticuz/chromium ${VERSION}`, { cause: error });
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
  try {
    await rename(staging, UNPACKED);
  } catch (error) {
    // Another test process renamed its copy into place first.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(join(UNPACKED, 'chromium'))) throw error;
  }
  return UNPACKED;
}

/**
 * Launches headless Chromium through Playwright.
 *
 * The browser is the Linux x64 build that ships inside the `@sparticuz/chromium` dev dependency, so
 * `npm ci` is all a machine needs. `STEP_WATCH_CHROMIUM` names another Chrome or Chromium binary instead,
 * for machines that build cannot run on (macOS, Windows, ARM). The browser tests use it through
 * test/helpers/browser.ts.
 */
export async function launchChromium(): Promise<Browser> {
  const own = process.env.STEP_WATCH_CHROMIUM;
  if (own) return chromium.launch({ executablePath: own, args: ARGS });
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new BenchError(
      `The Chromium in @sparticuz/chromium is a Linux x64 build and this is ${process.platform}-${process.arch}: ` +
        'set STEP_WATCH_CHROMIUM to the path of a Chrome or Chromium binary to run the browser tests.',
    );
  }
  const dir = await unpacked();
  const libraries = join(dir, 'al2023', 'lib');
  return chromium.launch({
    executablePath: join(dir, 'chromium'),
    args: ARGS,
    env: {
      ...process.env,
      LD_LIBRARY_PATH: process.env.LD_LIBRARY_PATH
        ? `${libraries}:${process.env.LD_LIBRARY_PATH}`
        : libraries,
      FONTCONFIG_FILE: join(dir, 'fonts.conf'),
    },
  });
}
