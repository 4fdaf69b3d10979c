import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserHarness, type BrowserHarness } from './helpers/browser.js';
import { createOrg, type TestOrg } from './helpers/harness.js';

let h: BrowserHarness;
let org: TestOrg;

beforeAll(async () => {
  h = await startBrowserHarness();
  org = await createOrg(h.db, h.config);
});

afterAll(async () => {
  await h?.close();
});

describe('a person’s own pages, in a real browser', () => {
  it('an owner invites; the invitee opens the e-mailed link, accepts on the invitations page and reaches the organisation', async () => {
    const { page, problems } = await h.newPage();
    const orgName = `Org ${org.id.slice(0, 8)}`;
    await h.signIn(page, org.owner.email);
    await page.goto(`${h.base}/app/orgs/${org.id}/members`);
    const email = `browser-acc-${Date.now()}@example.test`;
    const before = h.smtp.messages.length;
    await page.getByLabel('E-mail address').fill(email);
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByText('The invitation is sent.').waitFor();

    // The invitee, in a fresh session, opens the e-mailed link: the invitations page.
    const mail = await h.smtp.waitFor((m) => m.to.includes(email) && h.smtp.messages.indexOf(m) >= before);
    const link = /(http:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(mail.text)![1]!;
    await h.browser.clearCookies();
    await page.goto(link);
    expect(new URL(page.url()).pathname).toBe('/app/invitations');
    await page.getByRole('heading', { name: 'Your invitations' }).waitFor();
    await page.getByRole('cell', { name: orgName, exact: true }).waitFor();
    await h.checkPage(page, 'invitations');

    // /app points there too
    await page.goto(`${h.base}/app`);
    await page.getByText('Invitations waiting for your answer: 1.').waitFor();
    await h.checkPage(page, 'organisations-invited');
    await page.getByRole('link', { name: 'See your invitations' }).click();

    await page.getByRole('button', { name: `Accept the invitation to ${orgName}` }).click();
    await page.getByText('you are now a member of').waitFor();
    await h.checkPage(page, 'invitations-accepted');
    await page.getByRole('link', { name: `Open ${orgName}` }).click();
    await page.getByRole('heading', { name: /^Calls/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/app/orgs/${org.id}/calls`);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('an owner deletes an organisation they created by typing its name; an admin is told why they cannot', async () => {
    const { page, problems } = await h.newPage();
    await h.signIn(page, org.owner.email);
    const name = `Short-lived ${Date.now()}`;
    await page.getByLabel('Organisation name').fill(name);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: /^Calls/ }).waitFor();
    const orgId = /\/app\/orgs\/([0-9a-f-]{36})\//.exec(page.url())![1]!;

    // From the bottom of the privacy page.
    await page.goto(`${h.base}/app/orgs/${orgId}/privacy`);
    await page.getByRole('link', { name: 'Delete this organisation' }).click();
    await page.getByRole('heading', { name: `Delete the organisation: ${name}` }).waitFor();
    await h.checkPage(page, 'delete-org');

    await page.getByLabel(/To confirm, type the organisation’s name/).fill('Not it');
    await page.getByRole('button', { name: 'Delete the organisation permanently' }).click();
    await page.getByRole('alert').getByText('nothing was deleted').waitFor();
    await h.checkPage(page, 'delete-org-wrong-name');
    expect(await h.db`select 1 from public.organizations where id = ${orgId}`).toHaveLength(1);

    await page.getByLabel(/To confirm, type the organisation’s name/).fill(name);
    await page.getByRole('button', { name: 'Delete the organisation permanently' }).click();
    await page.getByText('The organisation has been deleted.').waitFor();
    expect(new URL(page.url()).pathname).toBe('/app');
    await h.checkPage(page, 'organisations-deleted');
    expect(await h.db`select 1 from public.organizations where id = ${orgId}`).toHaveLength(0);

    const admin = await h.newPage();
    await h.signIn(admin.page, org.admin.email);
    await admin.page.goto(`${h.base}/app/orgs/${org.id}/delete`);
    await admin.page.getByText('Only an owner can delete the organisation. Your role here: Admin.').waitFor();
    expect(await admin.page.getByRole('button', { name: 'Delete the organisation permanently' }).count()).toBe(0);
    await h.checkPage(admin.page, 'delete-org-admin');
    expect([...problems, ...admin.problems]).toEqual([]);
    await page.close();
    await admin.page.close();
  });
});
