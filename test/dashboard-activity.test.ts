import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudit } from '../src/audit/audit.js';
import type { ServiceDb } from '../src/db/database.js';
import { bearer, buildTestApp, createOrg, openTestDb, testConfig, type TestOrg } from './helpers/harness.js';

const config = testConfig();
const ENTRIES = 123;

let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];
let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  db = openTestDb();
  ({ app } = buildTestApp(db, config));
  org = await createOrg(db, config);
  other = await createOrg(db, config);
  for (let i = 0; i < ENTRIES; i += 1) {
    const known = i % 2 === 0;
    await writeAudit(db, { type: 'user', id: org.owner.id }, {
      orgId: org.id,
      action: known ? 'member.invited' : 'test.unlabelled_event',
      targetType: 'user',
      targetId: org.member.id,
      metadata: { i },
    });
  }
  await writeAudit(db, { type: 'operator', id: other.admin.id, actingAsId: org.admin.id }, { orgId: org.id, action: 'impersonation.request', targetType: 'impersonation', targetId: other.owner.id });
  await writeAudit(db, { type: 'user', id: other.owner.id }, { orgId: other.id, action: 'test.other_org_only', targetType: 'organization', targetId: other.id });
});
afterAll(async () => {
  await db.end();
});

const activityPath = (o: TestOrg = org) => `/app/orgs/${o.id}/activity`;
const get = (path: string, token = org.owner.token) => request(app).get(path).set('Cookie', `session=${token}`);

/** The entry numbers shown on a page, in order. */
function sequencesOf(html: string): number[] {
  const body = /<tbody>([\s\S]*)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr><td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
}

function olderLink(html: string): string | null {
  const m = /href="([^"]*\?before=(\d+))" rel="next"/.exec(html);
  return m ? m[1]!.replace(/&amp;/g, '&') : null;
}

describe('dashboard activity page', () => {
  it('pages an owner through every entry, newest first, 50 at a time, with the API’s cursor and no duplicates', async () => {
    const total = ENTRIES + 1;
    const seen: number[] = [];
    let path: string | null = activityPath();
    let apiBefore: number | null | undefined;
    let pages = 0;
    while (path) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.text).not.toMatch(/<script|<style| style=/);
      const seqs = sequencesOf(res.text);
      expect(seqs.length).toBe(Math.min(50, total - seen.length));
      expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
      if (seen.length) expect(seqs[0]).toBeLessThan(seen.at(-1)!);
      seen.push(...seqs);
      // The same page through the API: the same entries and the same cursor.
      const api = await request(app)
        .get(`/api/orgs/${org.id}/audit-logs`)
        .query(apiBefore ? { limit: 50, before: apiBefore } : { limit: 50 })
        .set(...bearer(org.owner));
      expect(api.status).toBe(200);
      expect(api.body.entries.map((e: { sequence: number }) => e.sequence)).toEqual(seqs);
      apiBefore = api.body.next_before;
      const next = olderLink(res.text);
      expect(next).toBe(apiBefore === null ? null : `${activityPath()}?before=${apiBefore}`);
      expect(next === null ? null : Number(next.split('=')[1])).toBe(seqs.length === 50 ? seqs.at(-1)! : null);
      if (pages > 0) expect(res.text).toContain(`href="${activityPath()}">Newest</a>`);
      else expect(res.text).not.toContain('>Newest</a>');
      path = next;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(total);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => total - i));
  });

  it('shows readable actions, actors and targets by short id, never personal data', async () => {
    const res = await get(activityPath());
    expect(res.text).toContain('Member invited <code class="action-code">member.invited</code>');
    expect(res.text).toContain('<td>test.unlabelled_event</td>');
    expect(res.text).toContain(`User ${org.owner.id.slice(0, 8)}`);
    expect(res.text).toContain(`Operator ${other.admin.id.slice(0, 8)}, acting as user ${org.admin.id.slice(0, 8)}`);
    expect(res.text).toContain('Request made during support access');
    expect(res.text).toContain(`User ${org.member.id.slice(0, 8)}`);
    expect(res.text).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/time>/);
    expect(res.text).not.toContain(org.owner.id);
    expect(res.text).not.toContain(org.owner.email);
    expect(res.text).not.toContain(org.member.email);
  });

  it('answers a bad cursor with a clear 400, and the end of the log with a page that says so', async () => {
    for (const before of ['abc', '0', '-5', '1.5', '', '1e30', '99999999999999999999']) {
      const res = await get(`${activityPath()}?before=${encodeURIComponent(before)}`);
      expect(res.status, before).toBe(400);
      expect(res.text).toContain('role="alert"');
      expect(res.text).toContain('There is no such page of the activity log');
      expect(res.text).toContain(`href="${activityPath()}">Newest</a>`);
    }
    const api = await request(app).get(`/api/orgs/${org.id}/audit-logs?before=99999999999999999999`).set(...bearer(org.owner));
    expect(api.status).toBe(400);

    const end = await get(`${activityPath()}?before=1`);
    expect(end.status).toBe(200);
    expect(end.text).toContain('There are no older entries.');
    expect(sequencesOf(end.text)).toEqual([]);
  });

  it('shows a member why there is nothing, as the API refuses them', async () => {
    const res = await get(activityPath(), org.member.token);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Only owners and admins can read the activity log; you are a member');
    expect(res.text).not.toContain('<table');
    expect(res.text).not.toContain('member.invited');
    const api = await request(app).get(`/api/orgs/${org.id}/audit-logs`).set(...bearer(org.member));
    expect(api.status).toBe(403);
  });

  it('keeps organisations apart: 404 for another organisation’s log, and never its entries', async () => {
    expect((await get(activityPath(other))).status).toBe(404);
    expect((await get(`${activityPath(other)}?before=5`)).status).toBe(404);
    let path: string | null = activityPath();
    while (path) {
      const res = await get(path);
      expect(res.text).not.toContain('test.other_org_only');
      path = olderLink(res.text);
    }
    const theirs = await get(activityPath(other), other.owner.token);
    expect(theirs.status).toBe(200);
    expect(theirs.text).toContain('test.other_org_only');
    expect(theirs.text).not.toContain('member.invited');
  });
});
