// Hostile SSM text (formulas, escape sequences, bidi and zero-width characters) through `step-watch local`, checked byte by byte.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile, type Scenario } from '../../sandbox/scenario';
import { runCli } from '../helpers/cli';
import { forbiddenCharacters } from '../helpers/terminal-text';

const SCENARIO = 'sandbox/scenarios/hostile.json';

describe('Command: step-watch local over hostile SSM text', () => {
  let dir: string;
  let scenario: Scenario;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'step-watch-hostile-'));
    scenario = await loadScenarioFile(SCENARIO);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const run = (...extra: string[]) =>
    runCli(
      ['local', '--scenario', SCENARIO, '--interval', '0.5', '--no-hints', '--fresh', ...extra],
      { STEP_WATCH_LOCAL_DIR: join(dir, 'dynamodb') },
      90_000,
    );

  it('prints one clean line per event, keeping the visible text and dropping hidden links', async () => {
    // Act
    const result = await run();

    // Assess
    expect(result.code).toBe(0);
    expect(forbiddenCharacters(result.stdout, { newlines: true })).toEqual([]);
    expect(forbiddenCharacters(result.stderr, { newlines: true })).toEqual([]);
    expect(Buffer.from(result.stdout).includes(0x1b)).toBe(false);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(15);
    for (const line of lines) expect(line).toMatch(/^\d\d:\d\d:\d\d {2}(step|alarm|execution) /);
    expect(result.stdout).toContain('=HYPERLINK("http://x")click eeeeeeee-0000-4000-8000-000000000001');
    expect(result.stdout).toContain(`"@SUM(1) second line tab"`);
    expect(result.stdout).toContain(`"+cmd|' /C calc'!A0 disk lluf"`);
    expect(result.stdout).toContain('-2+3+cmdclick: -2+3+cmdalarm-1@SUM(1) is ALARM');
    expect(result.stdout).not.toContain('evil.example');
    expect(result.stdout).not.toContain('title');
  });

  it('prints --json exactly, with the hostile characters as \\u escapes', async () => {
    // Act
    const result = await run('--json');

    // Assess
    expect(result.code).toBe(0);
    expect(forbiddenCharacters(result.stdout, { newlines: true })).toEqual([]);
    const details = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).detail);
    const [first, second] = scenario.executions;
    expect(new Set(details.map((d) => d.documentName))).toEqual(
      new Set([first?.documentName, second?.documentName]),
    );
    const failures = details.flatMap((d) => (d.step?.failureMessage ? [d.step.failureMessage] : []));
    expect(new Set(failures)).toEqual(
      new Set(first?.steps.map((s) => s.timeline.at(-1)?.failureMessage).filter((m) => m !== undefined)),
    );
    const alarms = details.flatMap((d) => (d.alarm ? [d.alarm.name] : []));
    expect(alarms).toContain(first?.alarms?.[0]?.name);
  });
});
