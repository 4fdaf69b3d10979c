import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudit } from '../src/audit/audit.js';
import { keyedHash } from '../src/lib/crypto.js';
import { startBrowserHarness, type BrowserHarness } from './helpers/browser.js';
import { seedCall } from './helpers/dashboard-fixtures.js';
import { createOrg, type TestOrg } from './helpers/harness.js';

const PHONE = '+4930123987654';

let h: BrowserHarness;
let org: TestOrg;
let callId: string;

beforeAll(async () => {
  h = await startBrowserHarness();
  org = await createOrg(h.db, h.config);
  callId = await seedCall(h.db, org, PHONE, 'completed', 'given');
  await h.db`update public.calls set from_hash = ${keyedHash(h.config.blindIndexKey, 'phone', PHONE)} where id = ${callId}`;
  // Enough history for more than one page of the activity log.
  for (let i = 0; i < 60; i += 1) {
    await writeAudit(h.db, { type: 'user', id: org.owner.id }, { orgId: org.id, action: 'privacy_preferences.updated', targetType: 'organization', targetId: org.id, metadata: { i } });
  }
});

afterAll(async () => {
  await h?.close();
});

describe('the exports and activity pages, in a real browser', () => {
  // Two pages, each checked at two widths: more time than the default on a busy machine.
  const slow = 150_000;
  let exportId = '';

  it('an owner downloads a caller’s export and sees it recorded; bad input is shown on the form', async () => {
    const { page, problems } = await h.newPage();
    const base = h.base;
    await h.signIn(page, org.owner.email);
    await page.goto(`${base}/app/orgs/${org.id}/calls`);
    await page.getByRole('navigation', { name: 'Organisation pages' }).getByRole('link', { name: 'Exports' }).click();
    await page.getByRole('heading', { name: /^Exports: / }).waitFor();
    await page.getByText('No export has been made yet.').waitFor();
    await h.checkPage(page, 'exports');

    // Bad input: the form again, with what was typed and why.
    await page.getByLabel('One person, by e-mail address').check();
    await page.getByLabel('The person’s phone number or e-mail address').fill('not-an-address');
    await page.getByRole('button', { name: 'Create and download the export' }).click();
    await page.getByRole('alert').getByText('Nothing was exported').waitFor();
    expect(await page.getByLabel('The person’s phone number or e-mail address').inputValue()).toBe('not-an-address');
    await h.checkPage(page, 'exports-error');

    await page.getByLabel('One person, by phone number').check();
    await page.getByLabel('The person’s phone number or e-mail address').fill(PHONE);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Create and download the export' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^export-[0-9a-f-]{36}\.json$/);
    const doc = JSON.parse(await readFile((await download.path())!, 'utf8'));
    expect(doc).toMatchObject({ subject: { type: 'phone' }, found: true });
    expect(doc.data.calls.map((c: { id: string; from_number: string }) => [c.id, c.from_number])).toEqual([[callId, PHONE]]);

    await page.goto(`${base}/app/orgs/${org.id}/exports`);
    await page.getByRole('cell', { name: 'A person, by phone number' }).waitFor();
    await page.getByRole('cell', { name: 'calls: 1', exact: false }).waitFor();
    await h.checkPage(page, 'exports-made');
    exportId = doc.export_id;
    expect(problems).toEqual([]);
    await page.close();
  }, slow);

  it('an owner pages through the activity log; a member is told why neither page is theirs', async () => {
    const { page, problems } = await h.newPage();
    const base = h.base;
    await h.signIn(page, org.owner.email);
    await page.goto(`${base}/app/orgs/${org.id}/exports`);
    // Newest first: this sign-in (auth.signed_in), then the export. More than 50 entries make two pages.
    await page.getByRole('navigation', { name: 'Organisation pages' }).getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('heading', { name: /^Activity: / }).waitFor();
    const rows = page.locator('table.activity tbody tr');
    expect(await rows.count()).toBe(50);
    expect(await rows.first().textContent()).toContain('Signed in');
    expect(await rows.nth(1).textContent()).toContain('Personal data exported');
    expect(await rows.nth(1).textContent()).toContain(`Export ${exportId.slice(0, 8)}`);
    const newest = Number(await rows.first().locator('td').first().textContent());
    expect(newest).toBeGreaterThan(50);
    await h.checkPage(page, 'activity');
    await page.getByRole('link', { name: 'Older' }).click();
    await page.waitForURL(new RegExp(`\\?before=${newest - 49}$`));
    expect(await rows.count()).toBe(newest - 50);
    expect(await rows.first().locator('td').first().textContent()).toBe(String(newest - 50));
    expect(await page.getByRole('link', { name: 'Older' }).count()).toBe(0);
    await h.checkPage(page, 'activity-older');
    await page.getByRole('link', { name: 'Newest' }).click();
    await page.waitForURL(`${base}/app/orgs/${org.id}/activity`);
    expect(await rows.count()).toBe(50);

    await h.signIn(page, org.member.email);
    await page.goto(`${base}/app/orgs/${org.id}/exports`);
    await page.getByText('you are a member, so there is nothing to show you here').waitFor();
    expect(await page.getByRole('button', { name: 'Create and download the export' }).count()).toBe(0);
    await h.checkPage(page, 'exports-member');
    await page.goto(`${base}/app/orgs/${org.id}/activity`);
    await page.getByText('Only owners and admins can read the activity log; you are a member').waitFor();
    expect(await page.locator('table').count()).toBe(0);
    await h.checkPage(page, 'activity-member');
    expect(problems).toEqual([]);
    await page.close();
  }, slow);
});
