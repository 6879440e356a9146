// A store protected by a passphrase, served without it: the UI asks for the passphrase, says
// clearly when it is wrong, and then offers the demo to a store with no accounts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openApp, screenshots, startHub, type App, type WebMode } from './web-mode';

let app: App;
let web: WebMode;
let page: Page;

beforeAll(async () => {
  app = await openApp({ demo: false, lockedWith: 'correct horse' });
  ({ web, page } = app);
}, 60_000);

afterAll(async () => app?.close());

describe('first run', () => {
  it('unlocks the store with its passphrase, and only with it', async () => {
    await page.getByTestId('passphrase').waitFor();
    expect(await page.getByTestId('store-state').textContent()).toBe('Locked');
    await page.getByTestId('passphrase').fill('wrong horse');
    await page.keyboard.press('Enter');
    await expect.poll(async () => page.getByTestId('unlock-error').textContent()).toContain('wrong key or passphrase');
    await page.screenshot({ path: join(screenshots, 'unlock.png') });
    await page.getByTestId('passphrase').fill('correct horse');
    await page.keyboard.press('Enter');
    await page.getByTestId('first-run').waitFor();
    await page.screenshot({ path: join(screenshots, 'first-run.png') });
  });

  it('explains what an account form is missing', async () => {
    await page.getByRole('button', { name: 'Connect an account' }).click();
    await page.getByTestId('connect-channel').selectOption('x');
    await page.getByTestId('connect-name').fill('not a handle!');
    await page.getByTestId('connect-secret').fill('token');
    await page.getByTestId('connect-submit').click();
    await expect.poll(async () => page.getByTestId('connect-error').textContent()).toContain("X account's username");
    await page.screenshot({ path: join(screenshots, 'connect-account.png') });
    await page.keyboard.press('Escape');
  });

  it('joins a team only with a code the hub gave, and says why not', async () => {
    const hub = await startHub();
    try {
      hub.code('Mina');
      await page.getByTestId('first-run-join').click();
      await page.getByTestId('join-url').fill(hub.url);
      await page.getByTestId('join-code').fill('0000-0000-0000-0000-0000');
      await page.getByTestId('join-submit').click();
      await expect.poll(async () => page.getByTestId('join-error').textContent()).toContain('enrolment code is not known');
      await page.getByTestId('join-url').fill('hub.example.com');
      await page.getByTestId('join-submit').click();
      await expect.poll(async () => page.getByTestId('join-error').textContent()).toContain('https://');
      expect(await page.getByTestId('in-team').count()).toBe(0);
      await page.screenshot({ path: join(screenshots, 'join-team.png') });
      await page.keyboard.press('Escape');
    } finally {
      await hub.stop();
    }
  });

  it('offers the demo, which fills the inbox', async () => {
    await page.getByTestId('try-demo').click();
    await page.getByTestId('conversation').first().waitFor({ timeout: 30_000 });
    expect((await (await fetch(`${await web.sandbox}/_sandbox/stats`)).json()).channels.telegram.conversations).toBeGreaterThan(0);
  });
});
