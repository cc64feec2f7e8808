// /docs in a real browser (headless Chromium, Debian's package, installed here when the
// machine lacks it), with every request that would leave this machine refused: the page
// must come up from the engine alone, list the reservation operations, and "Try it out" on
// GET /v1/events must get a 200. A PNG of the page goes to .stack/test-output/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { functionalConfig } from '../helpers/services.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const OUTPUT = join(process.cwd(), '.stack', 'test-output');

/** The browser binary; installs Debian's chromium when missing (root, as in CI). */
function chromium(): string {
  const found = CHROMIUM.find((p) => existsSync(p));
  if (found) return found;
  if (process.getuid?.() !== 0)
    throw new Error(
      'Chromium is missing: sudo apt-get install -y chromium (the browser test needs it)',
    );
  const apt = (...args: string[]) =>
    execFileSync('apt-get', args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: 'ignore',
    });
  try {
    apt('install', '-y', '-qq', 'chromium');
  } catch {
    // A fresh machine may have no package lists yet.
    apt('update', '-qq');
    apt('install', '-y', '-qq', 'chromium');
  }
  const installed = CHROMIUM.find((p) => existsSync(p));
  if (!installed) throw new Error('apt-get installed chromium, but no binary was found');
  return installed;
}

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
let ctx: TestApp;
let browser: Browser;

beforeAll(async () => {
  const executablePath = chromium();
  ctx = await buildTestApp(functionalConfig());
  browser = await puppeteer.launch({
    executablePath,
    headless: true,
    // Root in CI: Chromium's sandbox needs a user namespace the container may not give.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await ctx?.close();
});

describe('/docs in a browser, offline', () => {
  it('lists the operations and runs "Try it out" on GET /v1/events', async () => {
    const page = await browser.newPage();
    const leftTheMachine: string[] = [];
    const problems: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol === 'data:' || url.hostname === '127.0.0.1') return void request.continue();
      leftTheMachine.push(request.url());
      void request.abort();
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));

    await page.goto(`${ctx.baseUrl}/docs`, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    const paths = await page.$$eval('.opblock-summary-path', (els) =>
      els.map((e) => e.getAttribute('data-path') ?? e.textContent?.trim() ?? ''),
    );
    for (const path of [
      '/v1/reservations',
      '/v1/reservations/{id}',
      '/v1/reservations/{id}/confirm',
    ])
      expect(paths).toContain(path);

    // GET /v1/events: open it, "Try it out", "Execute".
    const events = await page.waitForSelector(
      '.opblock-get:has(.opblock-summary-path[data-path="/v1/events"])',
    );
    await events?.$eval('.opblock-summary-control', (e) =>
      (e as unknown as { click(): void }).click(),
    );
    await page.waitForSelector('.opblock-get.is-open .try-out__btn');
    await page.$eval('.opblock-get.is-open .try-out__btn', (e) =>
      (e as unknown as { click(): void }).click(),
    );
    await page.waitForSelector('.opblock-get.is-open .execute');
    await page.$eval('.opblock-get.is-open .execute', (e) =>
      (e as unknown as { click(): void }).click(),
    );
    await page.waitForSelector(
      '.opblock-get.is-open .live-responses-table tbody .response-col_status',
      {
        timeout: 15_000,
      },
    );
    const status = await page.$eval(
      '.opblock-get.is-open .live-responses-table tbody .response-col_status',
      (e) => e.textContent?.trim(),
    );
    expect(status).toBe('200');

    mkdirSync(OUTPUT, { recursive: true });
    const png = join(OUTPUT, 'docs.png');
    await page.screenshot({ path: png, fullPage: true });
    console.log(`screenshot of /docs: ${png}`);
    expect(leftTheMachine, 'requests that left the machine').toEqual([]);
    expect(problems, 'console errors').toEqual([]);
  }, 120_000);
});
