import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserDb } from '../src/db/user-db.js';
import { createMailer } from '../src/lib/mailer.js';
import { createSubprocessorsService } from '../src/subprocessors/subprocessors-service.js';
import { startBrowserHarness, type BrowserHarness } from './helpers/browser.js';
import { createOrg, type TestOrg } from './helpers/harness.js';

const OPS = 'ops@example.test';
const SP_NAME = 'Transcribe EU GmbH';
const REASON = 'Transcription is not covered by our contract with our callers.';

let h: BrowserHarness;
let org: TestOrg;

beforeAll(async () => {
  h = await startBrowserHarness({ OPERATOR_EMAILS: OPS });
  org = await createOrg(h.db, h.config);
});

afterAll(async () => {
  await h?.close();
});

const adminNav = (page: Page) => page.getByRole('navigation', { name: 'Operator pages' });

describe('the operators’ pages and the owner’s objection, in a real browser', () => {
  it('an operator registers an incident, sees its clock, marks it notified with the Art. 33(3) contents, and announces a sub-processor', async () => {
    const { page, problems } = await h.newPage();
    await h.signIn(page, OPS);
    await adminNav(page).getByRole('link', { name: 'Incidents' }).click();
    await page.getByRole('heading', { name: 'Security incidents' }).waitFor();
    await h.checkPage(page, 'admin-incidents');

    const title = 'Leaked API key in a public repository';
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Severity').selectOption('high');
    await page.getByLabel('Description').fill('A support engineer pushed a key to a public repository.');
    await page.getByLabel('Affected organisations').fill(org.id);
    await page.getByRole('button', { name: 'Register the incident' }).click();
    await page.getByText('The incident was registered').waitFor();
    const clock = await page.getByRole('row', { name: new RegExp(title) }).getByRole('cell').nth(2).textContent();
    expect(clock).toMatch(/^(72\.0|71\.\d) hours left of the 72$/);
    await h.checkPage(page, 'admin-incidents-registered');

    await page.getByRole('link', { name: title }).click();
    await page.getByRole('heading', { name: `Incident: ${title}` }).waitFor();
    await page.getByLabel("The authority's reference").fill('BfDI-2026-0042');
    await page.getByLabel('Nature of the breach').fill('Unauthorised access to transcripts');
    await page.getByRole('button', { name: 'Mark as notified' }).click();
    await page.getByRole('alert').getByText('Art. 33(3) requires these contents first').waitFor();
    await page.getByRole('alert').getByText('Likely consequences').waitFor();
    expect(await page.getByLabel('Nature of the breach').inputValue()).toBe('Unauthorised access to transcripts');
    expect(await page.getByLabel("The authority's reference").inputValue()).toBe('BfDI-2026-0042');
    await h.checkPage(page, 'admin-incident-missing');

    await page.getByLabel('Categories of personal data').fill('transcripts, phone numbers');
    await page.getByLabel('Approximate number of people affected').fill('120');
    await page.getByLabel('Approximate number of records').fill('340');
    await page.getByLabel('Contact point (the DPO or another)').fill('dpo@example.test');
    await page.getByLabel('Likely consequences').fill('Disclosure of what callers said');
    await page.getByLabel('Measures taken or proposed').fill('Key revoked; access logs reviewed');
    await page.getByLabel('No', { exact: true }).check();
    await page.getByLabel('Art. 34(3) exemption that applies').fill('Art. 34(3)(a): the transcripts were encrypted');
    await page.getByRole('button', { name: 'Mark as notified' }).click();
    await page.getByText('The incident is marked as notified.').waitFor();
    await page.getByText(/its reference: BfDI-2026-0042/).waitFor();
    const [row] = await h.db`select notified_at, approx_records from public.security_incidents where title = ${title}`;
    expect(row!.notified_at).not.toBeNull();
    expect(row!.approx_records).toBe(340);
    await h.checkPage(page, 'admin-incident-notified');

    await adminNav(page).getByRole('link', { name: 'Sub-processors' }).click();
    await page.getByRole('heading', { name: 'Sub-processors' }).waitFor();
    await page.getByLabel('Name').fill(SP_NAME);
    await page.getByLabel('Purpose').fill('Transcribes calls for the agents');
    await page.getByLabel('Categories of personal data').fill('voice recordings, transcripts');
    await page.getByLabel('Where the data is processed').fill('EU (Frankfurt)');
    await page.getByLabel('Role', { exact: true }).fill('transcription');
    await page.getByLabel('Safeguards').fill('Processed in the EU only');
    await page.getByRole('button', { name: 'Announce' }).click();
    await page.getByText('The sub-processor was announced.').waitFor();
    await page.getByRole('rowheader', { name: SP_NAME }).waitFor();
    await h.checkPage(page, 'admin-subprocessors');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('after the notice, an owner objects to the announced sub-processor; an admin is told only owners can', async () => {
    // The notice job e-mails every organisation's owners and admins about the announcement.
    const notices = createSubprocessorsService({ serviceDb: h.db, userDb: createUserDb(h.db), mailer: createMailer(h.config), publicBaseUrl: h.base });
    expect((await notices.sendNotices()).sent).toBeGreaterThanOrEqual(2);

    const { page, problems } = await h.newPage();
    await h.signIn(page, org.admin.email);
    await page.goto(`${h.base}/app/orgs/${org.id}/subprocessors`);
    await page.getByText('Only owners can object to a sub-processor; you are an admin.').waitFor();
    expect(await page.getByRole('button', { name: 'Object' }).count()).toBe(0);
    await h.checkPage(page, 'org-subprocessors-admin');
    await page.goto(`${h.base}/app/admin/incidents`);
    await page.getByText('for platform operators only').waitFor();

    await h.signIn(page, org.owner.email);
    await page.goto(`${h.base}/app/orgs/${org.id}/subprocessors`);
    await page.getByRole('rowheader', { name: SP_NAME }).waitFor();
    await page.getByText(/^Takes effect on \d{4}-\d{2}-\d{2}/).waitFor();
    await h.checkPage(page, 'org-subprocessors');
    await page.getByLabel('Why your organisation objects').fill(REASON);
    await page.getByRole('button', { name: 'Object' }).click();
    await page.getByText('Your objection was recorded.').waitFor();
    await page.getByText('the objection is open').waitFor();
    const objections = await h.db`select objection_reason from public.subprocessor_notices where org_id = ${org.id} and objected_at is not null`;
    expect(objections.length).toBeGreaterThan(0);
    expect(objections.every((o) => o.objection_reason === REASON)).toBe(true);
    await h.checkPage(page, 'org-subprocessors-objected');
    expect(problems).toEqual([]);
    await page.close();
  });
});
