import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { detailText } from '../src/trust/trust-messages.js';
import type { TrustCheck } from '../src/trust/trust-service.js';
import { bearer, buildTestApp, createOrg, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';

const config = testConfig();

let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];
let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  db = openTestDb();
  ({ app } = buildTestApp(db, config));
  org = await createOrg(db, config);
  other = await createOrg(db, config);
  // An open incident nobody has paged about: the breach-notification control fails for `org` only.
  await db`insert into public.security_incidents (title, severity, detected_at, affected_org_ids)
           values ('Test incident', 'low', now() - interval '2 hours', ${[org.id]}::uuid[])`;
});
afterAll(async () => {
  await db.end();
});

const trustPath = (o: TestOrg = org) => `/app/orgs/${o.id}/trust`;
const page = (user: TestUser, path = trustPath()) => request(app).get(path).set('Cookie', `session=${user.token}`);

/** The list item of one control on the page. */
function itemOf(html: string, control: string): string {
  const items = html.split('<li class="trust-check').slice(1);
  const item = items.find((i) => i.includes(`>${control}</h2>`));
  expect(item, control).toBeDefined();
  return item!;
}

const WORDS: Record<TrustCheck['status'], string> = { pass: 'Passes', fail: 'Fails', info: 'For information', pending: 'Not yet run' };

describe('dashboard trust page', () => {
  it('shows a member every live check with its state in words, its details and when it was checked, as the API has them', async () => {
    const api = await request(app).get(`/api/orgs/${org.id}/trust`).set(...bearer(org.member));
    expect(api.status).toBe(200);
    const checks = api.body.checks as TrustCheck[];
    const res = await page(org.member);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).not.toMatch(/<script|<style| style=/);
    expect(res.text).toContain(`href="${trustPath()}" aria-current="page"`);
    for (const c of checks) {
      const item = itemOf(res.text, c.control);
      expect(item, c.id).toContain(`<strong>${WORDS[c.status]}</strong>`);
      expect(item, c.id).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
      // The detail, as Preact escapes it.
      expect(item, c.id).toContain(c.detail.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;'));
    }
    const failing = checks.filter((c) => c.status === 'fail').length;
    expect(failing).toBeGreaterThan(0);
    expect(res.text).toContain(`${failing} of ${checks.length} controls fail.`);
    expect(res.text).toMatch(/Checked at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\./);
  });

  it('the breach-notification control fails in words where an incident is not paged, and passes where none is open', async () => {
    const failing = itemOf((await page(org.owner)).text, 'Breach notification clock');
    expect(failing).toMatch(/^ trust-fail"/);
    expect(failing).toContain('<strong>Fails</strong>');
    expect(failing).toContain('not paged in the last 35 minutes');
    const passing = itemOf((await page(other.admin, trustPath(other))).text, 'Breach notification clock');
    expect(passing).toContain('<strong>Passes</strong>');
    expect(passing).toContain('No open incident affects this organisation.');
  });

  it('in German and Polish, with the control names and every check\'s details translated', async () => {
    const api = await request(app).get(`/api/orgs/${org.id}/trust`).set(...bearer(org.member));
    const checks = api.body.checks as TrustCheck[];
    const de = await page(org.member).set('Accept-Language', 'de');
    expect(de.text).toContain('Frist für Meldungen von Datenpannen');
    expect(de.text).toContain('<strong>Nicht erfüllt</strong>');
    expect(de.text).not.toContain('auf Englisch');
    const breach = itemOf(de.text, 'Frist für Meldungen von Datenpannen');
    expect(breach).toContain('Offene Sicherheitsvorfälle, die diese Organisation betreffen: 1; bei 1 wurde in den letzten 35 Minuten nicht alarmiert.');
    expect(itemOf(de.text, 'Aufbewahrungsfrist durchgesetzt')).toMatch(/Aufbewahrungsfrist \d+ Tage\. /);
    const pl = await page(org.member).set('Accept-Language', 'pl');
    expect(pl.text).toContain('<strong>Nie działa</strong>');
    expect(itemOf(pl.text, 'Termin zgłoszenia naruszenia')).toContain('Otwarte incydenty dotyczące tej organizacji: 1; bez powiadomienia w ostatnich 35 minutach: 1.');
    for (const c of checks) {
      // Every check of an organisation has its detail as codes too, worded in English exactly as `detail`.
      expect(detailText('en', c.details), c.id).toBe(c.detail);
      const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
      expect(de.text, c.id).toContain(escape(detailText('de', c.details)));
      expect(pl.text, c.id).toContain(escape(detailText('pl', c.details)));
      expect(de.text, c.id).not.toContain(escape(c.detail));
    }
  });

  it('never shows another organisation’s checks', async () => {
    const res = await page(other.member, trustPath(org));
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('Breach notification clock');
    expect((await page(org.owner, '/app/orgs/not-a-uuid/trust')).status).toBe(404);
  });

  it('needs a session', async () => {
    const res = await request(app).get(trustPath());
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app/sign-in');
  });
});
