// Two agents of one team, each at a desk of their own (web mode with a real keychain) in Chromium,
// joined from Settings to a real `switchboard hub` that runs the sandbox's Telegram bot: each sees
// where the other is and when they type, a reply sent after the other answered asks first, and an
// @mention reaches the one named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openApp, screenshots, startHub, startSandbox, type App, type Hub } from './web-mode';

let sandbox: { url: string; stop(): Promise<void> };
let hub: Hub;
let sam: App;
let kim: App;

async function joinTeam(app: App, code: string) {
  const page = app.page;
  await page.getByTestId('first-run-join').click();
  await page.getByTestId('join-url').fill(hub.url);
  await page.getByTestId('join-code').fill(code);
  await page.getByTestId('join-submit').click();
  await page.getByTestId('in-team').waitFor({ timeout: 20_000 });
  // Auto-assignment is shown, and left to supervisors.
  await page.getByTestId('auto-assignment').waitFor();
  expect(await page.getByTestId('auto-enabled').isDisabled()).toBe(true);
  expect(await page.getByTestId('auto-assignment').textContent()).toContain('Only a supervisor can change this.');
  await page.keyboard.press('Escape');
}

/** Opens the conversation whose row names `customer`. */
async function open(page: Page, customer: string) {
  await page.getByTestId('conversation').filter({ hasText: customer }).first().click();
  await page.getByTestId('thread').waitFor();
}

beforeAll(async () => {
  sandbox = await startSandbox(12);
  hub = await startHub();
  hub.admin(['account', 'add', 'telegram', '--name', 'acme_support_bot', '--base-url', sandbox.url, '--token-env', 'TG_TOKEN'], { TG_TOKEN: '123456:sandbox-telegram-token' });
  const [samCode, kimCode] = [hub.code('Sam'), hub.code('Kim')];
  [sam, kim] = await Promise.all([openApp({ demo: false, keychain: true }), openApp({ demo: false, keychain: true })]);
  await joinTeam(sam, samCode);
  await joinTeam(kim, kimCode);
  for (const app of [sam, kim]) await app.page.getByTestId('conversation').first().waitFor({ timeout: 30_000 });
}, 120_000);

afterAll(async () => {
  await Promise.all([sam?.close(), kim?.close()]);
  await hub?.stop();
  await sandbox?.stop();
});

describe('a team of two', () => {
  let customer = '';

  it('shows who else has the conversation open, and who is typing', async () => {
    const row = sam.page.getByTestId('conversation').first();
    customer = (await row.locator('.customer').first().textContent())?.trim() ?? '';
    expect(customer).not.toBe('');
    await open(sam.page, customer);
    await open(kim.page, customer);
    await expect.poll(async () => kim.page.getByTestId('presence').textContent(), { timeout: 15_000 }).toContain('Sam is viewing');
    await sam.page.getByTestId('composer').pressSequentially('Let me check on that', { delay: 20 });
    await expect.poll(async () => kim.page.getByTestId('presence').textContent(), { timeout: 15_000 }).toContain('Sam is typing');
    await kim.page.screenshot({ path: join(screenshots, 'team-typing.png') });
  });

  it('asks before sending when a colleague answered since the conversation was opened', async () => {
    await kim.page.getByTestId('composer').fill('Kim here: your parcel left this morning.');
    await kim.page.getByTestId('send').click();
    // Sam's thread gets Kim's answer through the hub; Sam's reply then asks first.
    await expect.poll(async () => sam.page.getByTestId('thread').textContent(), { timeout: 20_000 }).toContain('your parcel left this morning');
    await sam.page.getByTestId('send').click();
    await sam.page.getByTestId('collision').waitFor();
    expect(await sam.page.getByTestId('collision').textContent()).toContain('Kim');
    await sam.page.screenshot({ path: join(screenshots, 'team-collision.png') });
    await sam.page.getByTestId('review-first').click();
    expect(await sam.page.getByTestId('collision').count()).toBe(0);
    expect(await sam.page.getByTestId('composer').inputValue()).toBe('Let me check on that');
  });

  it('tells the colleague an @mention names', async () => {
    await kim.page.getByTestId('note-mode').click();
    await kim.page.getByTestId('composer').fill('@Sam can you follow up tomorrow?');
    await kim.page.getByTestId('send').click();
    await sam.page.getByTestId('mention').waitFor({ timeout: 20_000 });
    expect(await sam.page.getByTestId('mention').textContent()).toContain('Kim mentioned you');
    expect(await kim.page.getByTestId('mention').count()).toBe(0);
    await sam.page.screenshot({ path: join(screenshots, 'team-mention.png') });
    expect([...sam.errors, ...kim.errors]).toEqual([]);
  });
});
