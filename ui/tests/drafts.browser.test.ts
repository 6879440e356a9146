// Drafts in real Chromium against web mode: what the agent types is kept per conversation in the
// store, across switching conversations and reloading the page, shown as "Draft" in the inbox,
// and gone once sent. (Across a restart of the app: desktop.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, type App } from './web-mode';

let app: App;
let page: Page;

beforeAll(async () => {
  app = await openApp();
  ({ page } = app);
  // Once every account has caught up, no conversation comes or moves but those the test changes
  // (the demo runs without traffic), so the rows picked stay in view.
  await page.getByTestId('open-settings').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=account] .state.idle').length === 9, null, { timeout: 30_000 });
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'telegram', exact: true }).click();
  await page.waitForFunction(() => {
    const badges = [...document.querySelectorAll('[data-testid=conversation] .badge')].map((b) => b.textContent);
    return badges.length > 1 && badges.every((b) => b === 'telegram');
  });
}, 60_000);

afterAll(async () => app?.close());

const row = (id: string) => page.locator(`[data-testid=conversation][data-id="${id}"]`);

async function open(id: string) {
  await row(id).getByRole('button').click();
  await page.locator(`[data-testid=thread][data-conversation="${id}"]`).waitFor();
}

describe('drafts', () => {
  let first: string;
  let second: string;
  const stamp = Date.now().toString(36);
  const one = `Let me check that order for you (${stamp})`;
  const two = `I have asked the warehouse about it,\nand will write again today (${stamp})`;

  it('keeps a draft per conversation across switching, and marks its row', async () => {
    first = (await page.getByTestId('conversation').nth(0).getAttribute('data-id'))!;
    second = (await page.getByTestId('conversation').nth(1).getAttribute('data-id'))!;
    await open(first);
    await page.getByTestId('composer').fill(one);
    // Moving on keeps it at once, without waiting for typing to rest.
    await open(second);
    await row(first).getByTestId('draft').waitFor();
    expect(await page.getByTestId('composer').inputValue()).toBe('');
    expect(await row(second).getByTestId('draft').count()).toBe(0);
    await page.getByTestId('composer').fill(two);
    await row(second).getByTestId('draft').waitFor();
    await open(first);
    expect(await page.getByTestId('composer').inputValue()).toBe(one);
    await open(second);
    expect(await page.getByTestId('composer').inputValue()).toBe(two);
  });

  it('keeps what was typed just before the page reloads', async () => {
    const more = `${two} Sorry for the wait.`;
    await page.getByTestId('composer').fill(more);
    // No pause: the draft goes as the page does.
    await page.reload();
    await page.getByRole('button', { name: 'telegram', exact: true }).click();
    await expect.poll(async () => row(second).getByTestId('draft').count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(async () => row(first).getByTestId('draft').count()).toBe(1);
    await open(second);
    await expect.poll(async () => page.getByTestId('composer').inputValue()).toBe(more);
    await open(first);
    expect(await page.getByTestId('composer').inputValue()).toBe(one);
  });

  it('forgets a draft once it is sent, and one the agent empties', async () => {
    await page.getByTestId('composer').press('Control+Enter');
    await page.getByTestId('message').filter({ hasText: one }).waitFor();
    await expect.poll(async () => row(first).getByTestId('draft').count()).toBe(0);
    expect(await page.getByTestId('composer').inputValue()).toBe('');
    await open(second);
    await page.getByTestId('composer').fill('');
    await open(first);
    await expect.poll(async () => row(second).getByTestId('draft').count()).toBe(0);
    await page.reload();
    await page.getByRole('button', { name: 'telegram', exact: true }).click();
    await row(first).waitFor({ timeout: 20_000 });
    for (const id of [first, second]) {
      await open(id);
      expect(await page.getByTestId('composer').inputValue()).toBe('');
      expect(await row(id).getByTestId('draft').count()).toBe(0);
    }
    expect(app.errors).toEqual([]);
  });
});
