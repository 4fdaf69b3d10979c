import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppDeps } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { createApp } from '../src/http/app.js';
import { createLocalAgentPlatform } from '../src/providers/local-platform.js';
import { createLocalTelephony } from '../src/providers/telephony.js';
import { seedCall } from './helpers/dashboard-fixtures.js';
import { createOrg, openIsolatedTestDb, testConfig, type TestOrg } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = path.resolve('.ci/out/screenshots');
const WIDTHS = { desktop: { width: 1280, height: 900 }, narrow: { width: 375, height: 812 } } as const;
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let db: ServiceDb;
let smtp: TestSmtp;
let server: Server;
let base: string;
let profileDir: string;
let browser: BrowserContext;
let org: TestOrg;
let ownersCall: string;
let membersCall: string;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = testConfig({ PUBLIC_BASE_URL: base, SMTP_URL: smtp.url });
  // Local mode's stand-ins: deleting a call queues deletions at the providers, which must stay on this machine.
  server.on('request', createApp(buildAppDeps(config, db, { telephony: createLocalTelephony(), agentPlatform: createLocalAgentPlatform() })));
  org = await createOrg(db, config);
  ownersCall = await seedCall(db, org, '+4930111222333', 'completed', 'given');
  membersCall = await seedCall(db, org, '+4930999888777', 'no-answer', 'refused');

  mkdirSync(SCREENSHOTS, { recursive: true });
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  profileDir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, locale: 'en-GB' });
});

afterAll(async () => {
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await smtp.close();
  await isolated.close();
});

/** A page that records any script error or CSP violation. */
async function newPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource: the server responded with a status of')) problems.push(`console: ${msg.text()}`);
  });
  return { page, problems };
}

/**
 * At both widths: axe-core finds no violation, the page has no horizontal
 * scroll, and a screenshot is written. axe is evaluated through the DevTools
 * protocol, which the page's CSP (no inline scripts) rightly does not allow a page to do.
 */
async function checkPage(page: Page, name: string): Promise<void> {
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

/** Signs in through the sign-in page and the link e-mailed to the address, as a person would. */
async function signIn(page: Page, email: string, screenshotName?: string): Promise<void> {
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

describe('the dashboard, in a real browser', () => {
  it('an owner signs in with the e-mailed link, finds a call, opens it and deletes it', async () => {
    const { page, problems } = await newPage();
    await signIn(page, org.owner.email, 'sign-in');
    await page.getByRole('heading', { name: 'Your organisations' }).waitFor();
    await checkPage(page, 'organisations');

    await page.getByRole('link', { name: `Org ${org.id.slice(0, 8)}` }).click();
    await page.getByRole('heading', { name: /^Calls/ }).waitFor();
    expect(await page.getByText('+49•••33').count()).toBe(1);
    expect(await page.content()).not.toContain('+4930111222333');
    await checkPage(page, 'calls');

    // The filters go in the query string.
    await page.getByLabel('Consent').selectOption('refused');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/consent=refused/);
    expect(await page.getByText('+49•••33').count()).toBe(0);
    expect(await page.getByText('+49•••77').count()).toBe(1);
    await page.goto(`${base}/app/orgs/${org.id}/calls`);

    await page.locator(`a[href="/app/orgs/${org.id}/calls/${ownersCall}"]`).click();
    await page.getByRole('heading', { name: 'Consent proof' }).waitFor();
    await page.getByText('cd'.repeat(32)).waitFor();
    await page.getByText('Hello <b>there</b>').waitFor();
    await checkPage(page, 'call');

    await page.getByRole('button', { name: 'Delete this call' }).click();
    await page.waitForURL(`${base}/app/orgs/${org.id}/calls`);
    expect(await page.getByText('+49•••33').count()).toBe(0);
    expect(await db`select 1 from public.calls where id = ${ownersCall}`).toHaveLength(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/app/sign-in`);
    await page.goto(`${base}/app`);
    expect(new URL(page.url()).pathname).toBe('/app/sign-in');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a member sees the call but no delete button, and is told why; the language switch works', async () => {
    const { page, problems } = await newPage();
    await signIn(page, org.member.email);
    await page.goto(`${base}/app/orgs/${org.id}/calls/${membersCall}`);
    await page.getByRole('heading', { name: 'Consent proof' }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete this call' }).count()).toBe(0);
    await page.getByText('Only owners and admins can delete calls').waitFor();
    await checkPage(page, 'call-member');

    await page.getByLabel('Language').selectOption('de');
    await page.getByRole('button', { name: 'Change' }).click();
    await page.getByRole('heading', { name: 'Nachweis der Einwilligung' }).waitFor();
    await page.getByText('Nur Eigentümer und Administratoren').waitFor();
    await checkPage(page, 'call-member-de');
    expect(problems).toEqual([]);
    await page.close();
  });
  it('an owner invites, changes a role and is told why the last owner stays; a member sees the list read-only', async () => {
    const { page, problems } = await newPage();
    await signIn(page, org.owner.email);
    await page.goto(`${base}/app/orgs/${org.id}/calls`);
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await checkPage(page, 'members');

    const email = `browser-invitee-${Date.now()}@example.test`;
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Role', { exact: true }).selectOption('member');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText('The invitation is sent.').waitFor();
    await smtp.waitFor((m) => m.to.includes(email));
    await page.getByRole('cell', { name: email, exact: true }).waitFor();

    await page.getByLabel(`Role of ${email}`).selectOption('admin');
    await page.locator('tr', { has: page.getByRole('cell', { name: email, exact: true }) }).getByRole('button', { name: 'Change role' }).click();
    await page.getByText('The role is changed.').waitFor();
    const [invited] = await db`select m.role from public.memberships m join public.users u on u.id = m.user_id where m.org_id = ${org.id} and u.email = ${email}`;
    expect(invited?.role).toBe('admin');

    await page.getByRole('button', { name: `Remove: ${org.owner.email}` }).click();
    await page.getByRole('alert').getByText('This is the last owner').waitFor();
    await checkPage(page, 'members-refused');
    expect(await db`select role from public.memberships where org_id = ${org.id} and user_id = ${org.owner.id}`).toEqual([{ role: 'owner' }]);
    expect(problems).toEqual([]);
    await page.close();

    const member = await newPage();
    await signIn(member.page, org.member.email);
    await member.page.goto(`${base}/app/orgs/${org.id}/members`);
    await member.page.getByText('you are a member, so this list is read-only').waitFor();
    expect(await member.page.getByRole('button', { name: 'Invite' }).count()).toBe(0);
    await checkPage(member.page, 'members-member');
    expect(member.problems).toEqual([]);
    await member.page.close();
  });

  it('an owner changes the retention on the privacy page; the old address leads there; a member sees it read-only', async () => {
    const { page, problems } = await newPage();
    await signIn(page, org.owner.email);
    // The old /preferences/privacy page now sends the person to pick the organisation.
    await page.goto(`${base}/preferences/privacy`);
    expect(new URL(page.url()).pathname).toBe('/app');
    await page.getByRole('link', { name: `Org ${org.id.slice(0, 8)}` }).click();
    await page.getByRole('navigation', { name: 'Organisation pages' }).getByRole('link', { name: 'Privacy' }).click();
    await page.getByRole('heading', { name: /^Privacy/ }).waitFor();
    await checkPage(page, 'privacy');

    await page.getByLabel('Keep transcripts, recordings and lead names for').selectOption('90');
    await page.getByLabel('Whom to ask').selectOption({ label: 'Every caller, from any country' });
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.waitForURL(`${base}/app/orgs/${org.id}/privacy?saved=1`);
    await page.getByText('Saved.').waitFor();
    expect(await page.getByLabel('Keep transcripts, recordings and lead names for').inputValue()).toBe('90');
    const [row] = await db`select retention_days, consent_scope from public.privacy_preferences where org_id = ${org.id}`;
    expect(row).toMatchObject({ retention_days: 90, consent_scope: 'all_callers' });

    await signIn(page, org.member.email);
    await page.goto(`${base}/app/orgs/${org.id}/privacy`);
    await page.getByText('Only owners and admins can change these settings').waitFor();
    expect(await page.getByRole('button', { name: 'Save settings' }).count()).toBe(0);
    await page.getByText('90 days').waitFor();
    await checkPage(page, 'privacy-member');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('an owner files an erasure request for a number nobody called from; a member sees why there is no list', async () => {
    const { page, problems } = await newPage();
    await signIn(page, org.owner.email);
    await page.goto(`${base}/app/orgs/${org.id}/privacy`);
    await page.getByRole('navigation', { name: 'Organisation pages' }).getByRole('link', { name: 'Erasure requests' }).click();
    await page.getByRole('heading', { name: /^Erasure requests/ }).waitFor();
    await checkPage(page, 'erasure');

    await page.getByLabel('Phone number or e-mail address').fill('+4930555000111');
    await page.getByRole('button', { name: 'Erase this person' }).click();
    await page.waitForURL(`${base}/app/orgs/${org.id}/erasure-requests?filed=1`);
    await page.getByText('nothing_found').waitFor();
    await checkPage(page, 'erasure-filed');

    await signIn(page, org.member.email);
    await page.goto(`${base}/app/orgs/${org.id}/erasure-requests`);
    await page.getByText('you are a member, so there is nothing to show you here').waitFor();
    expect(await page.getByRole('button', { name: 'Erase this person' }).count()).toBe(0);
    await checkPage(page, 'erasure-member');
    expect(problems).toEqual([]);
    await page.close();
  });
});
