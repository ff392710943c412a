// The HTML timeline opened in headless Chromium: what is rendered, hover text, no network, and a screenshot artifact.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_STARTED_COLOUR, renderTimeline, STATUS_COLOURS } from '../../../cli/history/timeline';
import { launchChromium } from '../../helpers/browser';
import { isoAt } from '../../helpers/builders';
import { demoRows, FAILURE_MESSAGE, HOSTILE_STEP_NAME, PARENT_ID } from './fixtures';

const ARTIFACTS = new URL('../../../test-artifacts/', import.meta.url).pathname;

/** `#c62828` → `rgb(198, 40, 40)`, the way getComputedStyle reports colours. */
function rgb(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

describe('Timeline page in headless Chromium', () => {
  let browser: Browser | undefined;
  let loaded: Page | undefined;
  const requests: string[] = [];
  const problems: string[] = [];
  const rows = demoRows();
  const stepCount = new Set(rows.flatMap((r) => (r.detail?.step ? [r.detail.step.stepExecutionId] : [])))
    .size;

  /** The loaded page; if Chromium could not start, beforeAll's error says why. */
  function opened(): Page {
    if (!loaded) throw new Error('The timeline page did not load; see the beforeAll error.');
    return loaded;
  }

  beforeAll(async () => {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    page.on('request', (request) => {
      if (!request.url().startsWith('data:') && request.url() !== 'about:blank') requests.push(request.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const html = renderTimeline({
      rows,
      executionId: PARENT_ID,
      source: 'step-watch-local (local)',
      execution: {
        executionId: PARENT_ID,
        documentName: 'AWS-RestartEC2Instance',
        documentVersion: '1',
        status: 'Failed',
        parentExecutionId: null,
        startTime: isoAt(1),
        endTime: isoAt(11.5),
        failedSteps: 1,
        alarms: 2,
        account: null,
        region: null,
      },
    });
    await page.setContent(html, { waitUntil: 'load' });
    loaded = page;
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('renders one bar per step', async () => {
    const page = opened();
    await expect(page.locator('svg .bar').count()).resolves.toBe(stepCount);
    await expect(page.locator('svg .step').count()).resolves.toBe(stepCount);
    const boxes = await Promise.all((await page.locator('svg .bar').all()).map((bar) => bar.boundingBox()));
    expect(boxes.every((box) => box !== null && box.width >= 3)).toBe(true);
  });

  it('colours each bar by its final status', async () => {
    const page = opened();
    // Page code as a string: the project's tsconfig has no DOM library to type it with.
    const fills = await page.evaluate(
      `[...document.querySelectorAll('svg .step')].map((step) =>
        [step.getAttribute('data-status'), getComputedStyle(step.querySelector('.bar')).fill])`,
    );
    expect(fills).toEqual([
      ['Success', rgb(STATUS_COLOURS.success)],
      ['Success', rgb(STATUS_COLOURS.success)],
      ['Failed', rgb(STATUS_COLOURS.failure)],
      ['InProgress', rgb(STATUS_COLOURS.running)],
    ]);
    const badge = page.locator('dl.facts .badge');
    await expect(badge.textContent()).resolves.toBe('Failed');
    await expect(
      page.evaluate(`getComputedStyle(document.querySelector('dl.facts .badge')).backgroundColor`),
    ).resolves.toBe(rgb(STATUS_COLOURS.failure));
  });

  it('marks the alarm on the step that raised it and on its execution', async () => {
    const page = opened();
    const markers = page.locator('svg .alarm-marker');
    await expect(markers.count()).resolves.toBe(2);
    // The execution's lane comes first, then the rows of its steps.
    const marker = markers.nth(1);
    await expect(marker.getAttribute('data-alarm')).resolves.toBe('StatusCheckFailed-i-0abc');
    const runningBar = await page.locator('svg .step[data-status="InProgress"] .bar').boundingBox();
    const markerBox = await marker.boundingBox();
    expect(runningBar && markerBox).toBeTruthy();
    if (runningBar && markerBox) {
      const markerMiddle = markerBox.y + markerBox.height / 2;
      expect(markerMiddle).toBeGreaterThan(runningBar.y);
      expect(markerMiddle).toBeLessThan(runningBar.y + runningBar.height);
    }
  });

  it('shows a step that never ran and one not started as greyed, labelled rows without a bar', async () => {
    const page = opened();
    const rowsWithoutBar = page.locator('svg .not-started');
    await expect(rowsWithoutBar.count()).resolves.toBe(2);
    await expect(page.locator('svg .not-started .bar').count()).resolves.toBe(0);
    await expect(page.locator('svg .not-started .not-started-note').allTextContents()).resolves.toEqual([
      'not run',
      'not started',
    ]);
    await expect(page.locator('svg .not-started .step-label').allTextContents()).resolves.toEqual([
      'verifyRunning',
      'tagImage',
    ]);
    await expect(
      page.evaluate(`getComputedStyle(document.querySelector('svg .not-started .not-started-note')).fill`),
    ).resolves.toBe(rgb(NOT_STARTED_COLOUR));
  });

  it('shows the failure message when the failed bar is hovered', async () => {
    const page = opened();
    const tip = page.locator('#tip');
    await expect(tip.isVisible()).resolves.toBe(false);

    await page.locator('svg .step[data-status="Failed"] .bar').hover();

    await expect(tip.isVisible()).resolves.toBe(true);
    const text = await tip.textContent();
    expect(text).toContain('startInstances — Failed');
    expect(text).toContain(FAILURE_MESSAGE);
    await expect(page.locator('svg .step[data-status="Failed"] > title').textContent()).resolves.toContain(
      FAILURE_MESSAGE,
    );
  });

  it('shows a hostile step name as text and runs none of it', async () => {
    const page = opened();
    const labels = await page.locator('svg .step-label').allTextContents();
    expect(labels).toContain(`${[...HOSTILE_STEP_NAME].slice(0, 33).join('')}…`);
    await expect(page.evaluate('typeof window.__pwned')).resolves.toBe('undefined');
    await expect(page.locator('table.steps').textContent()).resolves.toContain(HOSTILE_STEP_NAME);
  });

  it('makes no network request and breaks no content-security rule', () => {
    opened();
    expect(requests).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('saves a screenshot as a test artifact', async () => {
    const page = opened();
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, 'timeline.png');
    await page.mouse.move(0, 0);
    await page.screenshot({ path, fullPage: true });
    expect(existsSync(path)).toBe(true);
  });
});
