import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disclaimerFor } from '../src/agents/disclaimer-catalogue.js';
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

const de = disclaimerFor('de')!;

describe('the agents page, in a real browser', () => {
  it('an owner creates an agent while the live check follows the typing, edits it and deletes it', async () => {
    const { page, problems } = await h.newPage();
    await h.signIn(page, org.owner.email);
    await page.goto(`${h.base}/app/orgs/${org.id}/calls`);
    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('heading', { name: 'Create an agent' }).waitFor();
    await page.getByText('No agents yet.').waitFor();
    await h.checkPage(page, 'agents');

    const check = page.locator('#first-message-check');
    await page.locator('#agent-name').fill('Empfang');
    // Choosing a language brings its sentences (htmx swaps them in).
    await page.locator('#agent-language').selectOption('de');
    await page.locator('#required-sentences').getByText('Required sentences in German (de)').waitFor();
    await page.locator('#required-sentences').getByText(de.recording_notice).waitFor();

    const message = page.locator('#agent-first-message');
    await message.fill(`Guten Tag! ${de.ai_disclosure}`);
    await check.locator('[data-verdict="disclaimer"]').waitFor();
    await check.getByText(`Recording notice: ${de.recording_notice}`).waitFor();
    await h.checkPage(page, 'agents-check-missing');
    await message.pressSequentially(` ${de.recording_notice}`);
    await check.locator('[data-verdict="ok"]').waitFor();
    await check.getByText('The first message contains the required sentences.').waitFor();
    await h.checkPage(page, 'agents-check-ok');

    await page.getByRole('button', { name: 'Create the agent' }).click();
    await page.getByText('The agent is created.').waitFor();
    await page.getByRole('cell', { name: 'Empfang', exact: true }).waitFor();
    const [agent] = await h.db<{ id: string; language: string }[]>`select id, language from public.agents where org_id = ${org.id}`;
    expect(agent?.language).toBe('de');
    await h.checkPage(page, 'agents-list');

    // Editing: a first message that loses the recording notice is flagged, and refused on save with the reason.
    await page.getByRole('link', { name: 'Edit: Empfang' }).click();
    await page.getByRole('heading', { name: /^Agent Empfang/ }).waitFor();
    await page.locator('#agent-name').fill('Rezeption');
    await message.fill(`Guten Tag! ${de.ai_disclosure}`);
    await check.locator('[data-verdict="disclaimer"]').waitFor();
    await page.getByRole('button', { name: 'Save the changes' }).click();
    await page.getByRole('alert').getByText('Not saved: the first message lacks required sentences').waitFor();
    expect(await page.locator('#agent-name').inputValue()).toBe('Rezeption');
    expect(await message.inputValue()).toBe(`Guten Tag! ${de.ai_disclosure}`);
    await h.checkPage(page, 'agent-edit-refused');
    await message.fill(`${de.ai_disclosure} ${de.recording_notice} Guten Tag!`);
    await check.locator('[data-verdict="ok"]').waitFor();
    await page.getByRole('button', { name: 'Save the changes' }).click();
    await page.getByText('The changes are saved.').waitFor();
    await page.getByRole('cell', { name: 'Rezeption', exact: true }).waitFor();

    await page.getByRole('link', { name: 'Delete: Rezeption' }).click();
    await page.getByRole('heading', { name: /^Delete agent Rezeption\?/ }).waitFor();
    await h.checkPage(page, 'agent-delete');
    await page.getByRole('button', { name: 'Delete the agent' }).click();
    await page.getByText('The agent is deleted.').waitFor();
    await page.getByText('No agents yet.').waitFor();
    expect(await h.db`select 1 from public.agents where org_id = ${org.id}`).toHaveLength(0);

    // htmx ran under the page's CSP without a single violation or script error.
    expect(problems).toEqual([]);
    await page.close();
    // Six page states, each checked by axe at two widths: more than the default minute on a busy machine.
  }, 180_000);

  it('a member sees the agents read-only, and why', async () => {
    await h.db`insert into public.agents (org_id, name, language, first_message) values (${org.id}, 'Reception', 'de', ${`${de.ai_disclosure} ${de.recording_notice}`})`;
    const member = await h.newPage();
    await h.signIn(member.page, org.member.email);
    await member.page.goto(`${h.base}/app/orgs/${org.id}/agents`);
    await member.page.getByText('you are a member, so this page is read-only').waitFor();
    await member.page.getByRole('cell', { name: 'Reception', exact: true }).waitFor();
    expect(await member.page.getByRole('button', { name: 'Create the agent' }).count()).toBe(0);
    expect(await member.page.getByRole('link', { name: 'Edit: Reception' }).count()).toBe(0);
    await h.checkPage(member.page, 'agents-member');
    expect(member.problems).toEqual([]);
    await member.page.close();
  });
});
