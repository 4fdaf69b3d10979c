import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { startBrowserHarness, type BrowserHarness } from './helpers/browser.js';
import { seedCall, seedLead } from './helpers/dashboard-fixtures.js';
import { createOrg, type TestOrg } from './helpers/harness.js';

let h: BrowserHarness;
let db: ServiceDb;
let base: string;
let org: TestOrg;
let leadId: string;
let callId: string;

beforeAll(async () => {
  // Production's rules for endpoint addresses: https:// at a public address only.
  h = await startBrowserHarness({ WEBHOOKS_ALLOW_PRIVATE_NETWORK: 'false' });
  ({ db, base } = h);
  org = await createOrg(db, h.config);
  callId = await seedCall(db, org, '+4930111222333', 'completed', 'given');
  leadId = await seedLead(db, org, { name: 'Erika Mustermann', phone: '+4930111222333', email: 'erika@example.com', notes: 'Call back on Monday', callId });
});

afterAll(async () => {
  await h?.close();
});

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Organisation pages' }).getByRole('link', { name, exact: true }).click();

describe('webhooks, trust and leads pages, in a real browser', () => {
  it('an owner registers a webhook and sees its secret once, then reads the trust checks and a lead', async () => {
    const { page, problems } = await h.newPage();
    await h.signIn(page, org.owner.email);
    await page.goto(`${base}/app/orgs/${org.id}/calls`);
    await nav(page, 'Webhooks');
    await page.getByRole('heading', { name: /^Webhooks/ }).waitFor();
    await h.checkPage(page, 'webhooks');

    // A private address is refused; what was typed stays.
    await page.getByLabel('Address (URL)').fill('https://192.168.1.20/hook');
    await page.getByLabel('A call ended (call.completed)').check();
    await page.getByRole('button', { name: 'Register the endpoint' }).click();
    await page.getByRole('alert').getByText('this address cannot receive webhooks').waitFor();
    expect(await page.getByLabel('Address (URL)').inputValue()).toBe('https://192.168.1.20/hook');
    expect(await page.getByLabel('A call ended (call.completed)').isChecked()).toBe(true);
    await h.checkPage(page, 'webhooks-refused');

    await page.getByLabel('Address (URL)').fill('https://hooks.example.test/voice');
    await page.getByRole('button', { name: 'Register the endpoint' }).click();
    await page.getByRole('heading', { name: 'The endpoint is registered' }).waitFor();
    const secret = (await page.locator('#webhook-secret').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    const [stored] = await db`select secret from public.webhook_endpoints where org_id = ${org.id}`;
    expect(secret).toBe(stored?.secret);
    expect(page.url()).toBe(`${base}/app/orgs/${org.id}/webhooks`);
    await h.checkPage(page, 'webhooks-created');

    // Reloading the answer re-posts the form: nothing new is registered, and the secret is not shown again.
    await page.reload();
    await page.getByRole('heading', { name: 'This form was already submitted' }).waitFor();
    await page.getByText('Its signing secret was shown once').waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(await page.locator('#webhook-secret').count()).toBe(0);
    expect(await db`select 1 from public.webhook_endpoints where org_id = ${org.id}`).toHaveLength(1);
    await h.checkPage(page, 'webhooks-already-registered');

    // Opening the page again shows the endpoint, never the secret.
    await page.goto(`${base}/app/orgs/${org.id}/webhooks`);
    await page.getByRole('heading', { name: 'https://hooks.example.test/voice' }).waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(await page.locator('#webhook-secret').count()).toBe(0);

    await nav(page, 'Trust');
    await page.getByRole('heading', { name: 'Tenant isolation in the database' }).waitFor();
    await page.getByText('Passes').first().waitFor();
    await h.checkPage(page, 'trust');

    await nav(page, 'Leads');
    await page.getByRole('heading', { name: /^Leads/ }).waitFor();
    await page.getByRole('cell', { name: 'Erika Mustermann' }).waitFor();
    await page.getByRole('cell', { name: '+49•••33' }).waitFor();
    expect(await page.content()).not.toContain('+4930111222333');
    await h.checkPage(page, 'leads');

    await page.locator(`a[href="/app/orgs/${org.id}/leads/${leadId}"]`).click();
    await page.getByRole('heading', { name: 'Lead', exact: true }).waitFor();
    await page.getByText('+4930111222333').waitFor();
    await page.getByText('erika@example.com').waitFor();
    await h.checkPage(page, 'lead');
    await page.getByRole('link', { name: 'Open the call' }).click();
    await page.waitForURL(`${base}/app/orgs/${org.id}/calls/${callId}`);
    const reads = await db`select action, target_id, metadata::text as metadata from public.audit_logs
                           where org_id = ${org.id} and action in ('leads.listed', 'lead.read') and actor_id = ${org.owner.id}`;
    expect(reads.map((r) => r.action).sort()).toEqual(['lead.read', 'leads.listed']);
    expect(JSON.stringify(reads)).not.toMatch(/Erika|30111222333|erika@/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('an admin deletes the endpoint; a member is told why webhooks are not theirs, and reads trust and leads', async () => {
    const { page, problems } = await h.newPage();
    await h.signIn(page, org.admin.email);
    await page.goto(`${base}/app/orgs/${org.id}/webhooks`);
    await page.getByRole('button', { name: 'Delete this endpoint: https://hooks.example.test/voice' }).click();
    await page.waitForURL(`${base}/app/orgs/${org.id}/webhooks?deleted=1`);
    await page.getByText('The endpoint is deleted').waitFor();
    await page.getByText('No endpoint is registered yet.').waitFor();
    expect(await db`select 1 from public.webhook_endpoints where org_id = ${org.id}`).toHaveLength(0);

    await h.signIn(page, org.member.email);
    await page.goto(`${base}/app/orgs/${org.id}/webhooks`);
    await page.getByText('you are a member, so there is nothing to show you here').waitFor();
    expect(await page.getByRole('button', { name: 'Register the endpoint' }).count()).toBe(0);
    await h.checkPage(page, 'webhooks-member');

    await nav(page, 'Trust');
    await page.getByRole('heading', { name: 'Tenant isolation in the database' }).waitFor();
    await h.checkPage(page, 'trust-member');
    await nav(page, 'Leads');
    await page.getByRole('cell', { name: 'Erika Mustermann' }).waitFor();
    await page.locator(`a[href="/app/orgs/${org.id}/leads/${leadId}"]`).click();
    await page.getByText('Call back on Monday').waitFor();
    await h.checkPage(page, 'lead-member');
    expect(problems).toEqual([]);
    await page.close();
  });
});
