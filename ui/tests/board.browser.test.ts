// SLA in real Chromium against web mode and the sandbox: clocks in the inbox, the inbox sorted by
// the next breach, the policies in Settings, and the supervisor board updating live while the
// sandbox's customers write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openApp, screenshots, type App } from './web-mode';

let app: App;
let page: Page;

beforeAll(async () => {
  app = await openApp();
  ({ page } = app);
  await page.getByTestId('conversation').first().waitFor({ timeout: 30_000 });
}, 60_000);

afterAll(async () => app?.close());

const total = async (testid: string) => Number(await page.getByTestId(testid).textContent());

describe('SLA', () => {
  it('shows clocks in the inbox and sorts by the next breach', async () => {
    await page.getByTestId('sort').selectOption('next_breach');
    const clocks = page.getByTestId('clock');
    await clocks.first().waitFor();
    // Breached clocks come first, then the ones running out soonest.
    const classes = await page.locator('[data-testid=conversation] [data-testid=clock]').evaluateAll((els) => els.map((e) => e.className));
    const rank = (c: string) => (c.includes('breached') ? 0 : c.includes('soon') || c.includes('ok') ? 1 : 2);
    const ranks = classes.map(rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    await page.screenshot({ path: join(screenshots, 'inbox-by-breach.png') });
  });

  it('lists the default policies in Settings', async () => {
    await page.getByTestId('open-settings').click();
    const table = page.getByTestId('sla-settings');
    for (const name of ['Urgent', 'High', 'Normal', 'Low']) await table.getByText(name, { exact: true }).first().waitFor();
    await page.keyboard.press('Escape');
  });

  it('triages a new message by a rule made in Settings', async () => {
    await page.getByTestId('open-settings').click();
    await page.getByTestId('rule-new').click();
    await page.getByTestId('rule-name').fill('Chargebacks are urgent');
    await page.getByTestId('rule-words').fill('chargeback, 지급 거절');
    await page.getByTestId('rule-priority').selectOption('urgent');
    await page.getByTestId('rule-tags').fill('billing');
    await page.getByTestId('rule-save').click();
    await page.getByTestId('rules').getByText('Chargebacks are urgent').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('sort').selectOption('recent');
    // Unique by a base-36 stamp: a long run of digits can pass the Luhn check and be shown
    // masked as a card number.
    const text = `I will file a chargeback today (ref ${Date.now().toString(36)})`;
    await fetch(`${await app.web.sandbox}/_sandbox/customer-writes?channel=telegram&text=${encodeURIComponent(text)}`, { method: 'POST' });
    const row = page.getByTestId('conversation').filter({ hasText: text });
    await row.waitFor({ timeout: 20_000 });
    await expect.poll(async () => row.locator('.priority').textContent()).toBe('Urgent');
  });

  it('updates the supervisor board live as customers write', async () => {
    await page.getByTestId('open-board').click();
    await page.getByTestId('board-open').waitFor();
    expect(await total('board-open')).toBeGreaterThan(0);
    const before = await total('board-last-hour-total');
    const sandbox = await app.web.sandbox;
    for (const channel of ['telegram', 'sms', 'x']) {
      await fetch(`${sandbox}/_sandbox/customer-writes?channel=${channel}`, { method: 'POST' });
    }
    // No reload: the board hears the new messages and counts them in the last hour.
    await expect.poll(async () => total('board-last-hour-total'), { timeout: 20_000 }).toBe(before + 3);
    expect(await page.getByTestId('board-agents').textContent()).toContain('Unassigned');
    await page.screenshot({ path: join(screenshots, 'board.png') });
    // A conversation on the board opens its thread.
    const first = page.getByTestId('board-oldest').getByRole('button').first();
    await first.click();
    await page.getByTestId('thread').waitFor();
    expect(app.errors).toEqual([]);
  });
});
