// The privacy guard in real Chromium: a public mention where a customer posted a card number is
// flagged first and shown masked, and a reply with sensitive data in public is held back with an
// offer to continue in private.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openApp, screenshots, type App } from './web-mode';

const now = Date.now();
const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
const records = [
  { kind: 'account', account: 'x:acme' },
  { kind: 'conversation', account: 'x:acme', id: 'mention_1', public: true },
  { kind: 'message', account: 'x:acme', conversation: 'mention_1', id: 't1', direction: 'in', author: { kind: 'customer', name: 'Sam Park', handle: 'u1' }, text: '@acme you charged 4242 4242 4242 4242 twice!', at: at(30) },
  { kind: 'message', account: 'x:acme', conversation: 'dm_2', id: 'd1', direction: 'in', author: { kind: 'customer', name: 'Ana Lee', handle: 'u2' }, text: 'hello, a newer private message', at: at(5) },
  { kind: 'canned_reply', shortcut: 'private', title: 'Continue in private', variants: [{ body: 'Thanks {{customer.first_name}}! Please send us a DM so we can look at your payment privately.' }] },
];

let app: App;
let page: Page;

beforeAll(async () => {
  app = await openApp({ demo: false, importJsonl: records.map((r) => JSON.stringify(r)).join('\n') + '\n' });
  ({ page } = app);
  await page.getByTestId('conversation').first().waitFor({ timeout: 30_000 });
}, 60_000);

afterAll(async () => app?.close());

describe('privacy guard', () => {
  it('flags the public mention first and masks the card number', async () => {
    const first = page.getByTestId('conversation').first();
    expect(await first.getByTestId('sensitive').count()).toBe(1);
    expect(await first.textContent()).toContain('Sam Park');
    expect(await page.getByTestId('inbox').textContent()).not.toContain('4242 4242');
    await first.getByRole('button').click();
    await page.getByTestId('message').first().waitFor();
    expect(await page.getByTestId('message').first().textContent()).toContain('•••• 4242');
  });

  it('holds back a public reply with sensitive data and offers to continue in private', async () => {
    await page.getByTestId('composer').fill('Sorry! Email your card details to billing@acme.example');
    await page.getByTestId('go-private').waitFor();
    expect(await page.getByRole('alert').first().textContent()).toContain('public');
    expect(await page.getByTestId('send').isDisabled()).toBe(true);
    await page.screenshot({ path: join(screenshots, 'privacy.png') });
    await page.getByTestId('go-private').click();
    await expect.poll(async () => page.getByTestId('composer').inputValue()).toBe('Thanks Sam! Please send us a DM so we can look at your payment privately.');
    await expect.poll(async () => page.getByTestId('send').isDisabled()).toBe(false);
    expect(app.errors).toEqual([]);
  });
});
