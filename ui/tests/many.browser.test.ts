// A view of a thousand conversations: only the rows in view are in the page, scrolling shows the
// rest (read a page at a time as the end comes near), and the keyboard brings the selected one
// into view.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, type App, type WebMode } from './web-mode';

const N = 1000;
const lines = Array.from({ length: N }, (_, i) =>
  JSON.stringify({
    kind: 'message',
    account: 'telegram:many_bot',
    conversation: String(i),
    id: `m${i}`,
    direction: 'in',
    author: { kind: 'customer', name: `Customer ${String(i).padStart(4, '0')}`, handle: String(i) },
    text: `Message number ${i}`,
    // Newest first in the inbox: customer 0000 on top, 0999 at the bottom.
    at: new Date(Date.UTC(2026, 10, 23, 12) - i * 60_000).toISOString(),
  }),
);

let app: App;
let web: WebMode;
let page: Page;

beforeAll(async () => {
  app = await openApp({ demo: false, importJsonl: lines.join('\n') + '\n' });
  ({ web, page } = app);
}, 60_000);

afterAll(async () => app?.close());

describe('a long inbox', () => {
  it('renders only the rows in view', async () => {
    await page.getByText('Customer 0000').waitFor();
    const rendered = await page.getByTestId('conversation').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(40);
    // The first page holds 100; scrolling near its end reads the rest.
    for (let i = 0; i < 5 && !(await page.getByText('Customer 0999').isVisible()); i++) {
      const height = await page.getByTestId('inbox').evaluate((el) => el.scrollHeight);
      await page.getByTestId('inbox').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.waitForFunction((before) => document.querySelector('[data-testid=inbox]')!.scrollHeight > before || !document.querySelector('[data-testid=more-rows]'), height);
    }
    await page.getByText('Customer 0999').waitFor();
    expect(await page.getByTestId('conversation').count()).toBeLessThan(40);
  });

  it('keeps the selected conversation in view as j moves down', async () => {
    await page.getByTestId('inbox').evaluate((el) => (el.scrollTop = 0));
    await page.getByText('Customer 0000').click();
    for (let i = 0; i < 30; i++) await page.keyboard.press('j');
    const row = page.locator('[data-testid=conversation][aria-selected=true]');
    await expect.poll(async () => row.textContent()).toContain('Customer 0030');
    const box = await row.boundingBox();
    expect(box && box.y >= 0 && box.y + box.height <= 800).toBe(true);
  });
});
