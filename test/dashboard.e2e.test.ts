import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { startBrowserHarness, type BrowserHarness } from './helpers/browser.js';
import { seedCall } from './helpers/dashboard-fixtures.js';
import { createOrg, type TestOrg } from './helpers/harness.js';
import type { TestSmtp } from './helpers/smtp.js';

let h: BrowserHarness;
let db: ServiceDb;
let smtp: TestSmtp;
let base: string;
let org: TestOrg;
let ownersCall: string;
let membersCall: string;

beforeAll(async () => {
  h = await startBrowserHarness();
  ({ db, smtp, base } = h);
  org = await createOrg(db, h.config);
  ownersCall = await seedCall(db, org, '+4930111222333', 'completed', 'given');
  membersCall = await seedCall(db, org, '+4930999888777', 'no-answer', 'refused');
});

afterAll(async () => {
  await h?.close();
});

const newPage = () => h.newPage();
const checkPage = (page: Page, name: string) => h.checkPage(page, name);
const signIn = (page: Page, email: string, screenshotName?: string) => h.signIn(page, email, screenshotName);

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
    await page.getByText('Completed: nothing was held about this person').waitFor();
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
