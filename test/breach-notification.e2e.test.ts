import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppDeps } from '../src/container.js';
import type { IncidentNoticesService } from '../src/incidents/incident-notices-service.js';
import { startBrowserHarness, type BrowserHarness } from './helpers/browser.js';
import { createOrg, type TestOrg } from './helpers/harness.js';

let h: BrowserHarness;
let notices: IncidentNoticesService;
let a: TestOrg;
let b: TestOrg;
let incidentId: string;
const contactA = 'dpo@customer-a.example.test';

beforeAll(async () => {
  h = await startBrowserHarness();
  notices = buildAppDeps(h.config, h.db).jobs.incidentNotices;
  a = await createOrg(h.db, h.config);
  b = await createOrg(h.db, h.config);
  await h.db`update public.privacy_preferences set privacy_contact_email = ${contactA} where org_id = ${a.id}`;
  const [row] = await h.db<{ id: string }[]>`
    insert into public.security_incidents (title, severity, detected_at, affected_org_ids, nature, data_categories)
    values ('Exposed transcript store', 'high', now(), ${[a.id, b.id]}::uuid[], 'A storage key was exposed', '{transcripts}') returning id`;
  incidentId = row!.id;
  await notices.sendNotices();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('a breach notice, in a real browser', () => {
  it('the privacy contact, who has no account, acknowledges through the e-mailed link: the page, its button, the answer', async () => {
    const mail = await h.smtp.waitFor((m) => m.to.includes(contactA));
    const link = /(http:\/\/127\.0\.0\.1:\d+\/incidents\/acknowledge\?token=\S+)/.exec(mail.text)![1]!;
    const { page, problems } = await h.newPage();
    await page.goto(link);
    await page.getByRole('heading', { name: 'Acknowledge a security incident notice' }).waitFor();
    await page.getByText('Exposed transcript store').waitFor();
    await h.checkPage(page, 'incident-ack-link');
    const [open] = await h.db`select acknowledged_at from public.incident_organizations where incident_id = ${incidentId} and org_id = ${a.id}`;
    expect(open!.acknowledged_at).toBeNull();

    await page.getByRole('button', { name: 'Acknowledge receipt' }).click();
    await page.getByRole('heading', { name: 'Acknowledged' }).waitFor();
    await h.checkPage(page, 'incident-ack-done');
    const [done] = await h.db`select acknowledged_via from public.incident_organizations where incident_id = ${incidentId} and org_id = ${a.id}`;
    expect(done!.acknowledged_via).toBe('email_link');

    // The same link again: said plainly, no button.
    await page.goto(link);
    await page.getByRole('heading', { name: 'Already acknowledged' }).waitFor();
    expect(await page.getByRole('button', { name: 'Acknowledge receipt' }).count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('an owner acknowledges on the organisation’s incidents page', async () => {
    const { page, problems } = await h.newPage();
    await h.signIn(page, b.owner.email);
    await page.goto(`${h.base}/app/orgs/${b.id}/calls`);
    await page.getByRole('navigation', { name: 'Organisation pages' }).getByRole('link', { name: 'Security incidents', exact: true }).click();
    await page.getByRole('heading', { name: /^Security incidents/ }).waitFor();
    await h.checkPage(page, 'org-incidents');
    await page.getByRole('button', { name: 'Acknowledge receipt of “Exposed transcript store”' }).click();
    await page.getByText('Acknowledged: we stop repeating this notice.').waitFor();
    await page.getByText('in the dashboard').first().waitFor();
    await h.checkPage(page, 'org-incidents-acknowledged');
    const [row] = await h.db`select acknowledged_via, acknowledged_by from public.incident_organizations where incident_id = ${incidentId} and org_id = ${b.id}`;
    expect(row).toEqual({ acknowledged_via: 'dashboard', acknowledged_by: b.owner.id });
    expect(problems).toEqual([]);
  });
});
