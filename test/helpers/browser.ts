// Headless Chromium for browser tests: the bench's launcher (bench/chromium.ts), which the bench's page-load figures use too.
export { launchChromium } from '../../bench/chromium';
