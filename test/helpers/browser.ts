import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { AppConfig } from '../../src/config/env.js';
import { buildAppDeps } from '../../src/container.js';
import type { ServiceDb } from '../../src/db/database.js';
import { createApp } from '../../src/http/app.js';
import { createLocalAgentPlatform } from '../../src/providers/local-platform.js';
import { createLocalTelephony } from '../../src/providers/telephony.js';
import { openIsolatedTestDb, testConfig } from './harness.js';
import { startSmtp, type TestSmtp } from './smtp.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const SCREENSHOTS = path.resolve('.ci/out/screenshots');
export const WIDTHS = { desktop: { width: 1280, height: 900 }, narrow: { width: 375, height: 812 } } as const;
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** A server on an isolated database, a test SMTP server and a headless Chromium, for one browser test file. */
export interface BrowserHarness {
  db: ServiceDb;
  smtp: TestSmtp;
  config: AppConfig;
  /** http://127.0.0.1:port of the server under test. */
  base: string;
  browser: BrowserContext;
  /** A page that records any script error or CSP violation in `problems`. */
  newPage(): Promise<{ page: Page; problems: string[] }>;
  /** At both widths: axe finds no violation, no sideways scroll, a screenshot `dashboard-<name>-<width>.png`. */
  checkPage(page: Page, name: string): Promise<void>;
  /** Signs in through the sign-in page and the e-mailed link, as a person would; lands on /app. */
  signIn(page: Page, email: string, screenshotName?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts everything a browser test needs. The server runs local mode's
 * provider stand-ins (deleting a call queues deletions that stay on this
 * machine); `env` adds to the test configuration (e.g. OPERATOR_EMAILS).
 */
export async function startBrowserHarness(env: Record<string, string> = {}): Promise<BrowserHarness> {
  const isolated = await openIsolatedTestDb();
  const db = isolated.db;
  const smtp = await startSmtp();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = testConfig({ PUBLIC_BASE_URL: base, SMTP_URL: smtp.url, ...env });
  server.on('request', createApp(buildAppDeps(config, db, { telephony: createLocalTelephony(), agentPlatform: createLocalAgentPlatform() })));

  mkdirSync(SCREENSHOTS, { recursive: true });
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  const profileDir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-chromium-'));
  const browser = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, locale: 'en-GB' });

  async function newPage() {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource: the server responded with a status of')) problems.push(`console: ${msg.text()}`);
    });
    return { page, problems };
  }

  // axe is evaluated through the DevTools protocol, which the page's CSP (no inline scripts) rightly does not allow a page to do.
  async function checkPage(page: Page, name: string) {
    for (const [width, size] of Object.entries(WIDTHS)) {
      await page.setViewportSize(size);
      await page.evaluate(AXE_SOURCE);
      const violations = await page.evaluate(async () => {
        const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; help: string; nodes: { target: unknown }[] }[] }> } }).axe;
        const result = await axe.run();
        return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`);
      });
      expect(violations, `${name} at ${width}`).toEqual([]);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name} scrolls sideways at ${width}`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(SCREENSHOTS, `dashboard-${name}-${width}.png`), fullPage: true });
    }
    await page.setViewportSize(WIDTHS.desktop);
  }

  async function signIn(page: Page, email: string, screenshotName?: string) {
    await browser.clearCookies();
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/app/sign-in');
    if (screenshotName) await checkPage(page, screenshotName);
    const before = smtp.messages.length;
    await page.getByLabel('E-mail address').fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText('a link is on its way').waitFor();
    const mail = await smtp.waitFor((m) => m.to.includes(email) && smtp.messages.indexOf(m) >= before);
    const link = /(http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(mail.text)![1]!;
    await page.goto(link);
    expect(new URL(page.url()).pathname).toBe('/app');
  }

  async function close() {
    await browser.close();
    rmSync(profileDir, { recursive: true, force: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await smtp.close();
    await isolated.close();
  }

  return { db, smtp, config, base, browser, newPage, checkPage, signIn, close };
}
