// History without limits, in real Chromium: a view of 100,000 conversations scrolls to its last,
// a customer's 5,000 messages on three channels scroll back to their first, and search pages on
// past its first hundred hits. Everything comes a page at a time; nothing is left out or doubled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, type App } from './web-mode';

const CONVERSATIONS = 100_000;
const HISTORY = 5_000;
const REFUNDS = 300;
const start = Date.UTC(2026, 10, 23, 12);

const line = (record: object) => JSON.stringify(record);
const lines: string[] = [];
// The many, newest activity first: customer 000000 at the top, 099999 below the rest.
for (let i = 0; i < CONVERSATIONS; i++) {
  lines.push(
    line({
      kind: 'message',
      account: 'telegram:many_bot',
      conversation: `many${i}`,
      id: `many${i}`,
      direction: 'in',
      author: { kind: 'customer', name: `Customer ${String(i).padStart(6, '0')}`, handle: `many${i}` },
      text: `Message number ${i}`,
      at: new Date(start - (i + 10_000) * 60_000).toISOString(),
    }),
  );
}
// Lena, known on three channels, and her 5,000 messages across them, the newest of all.
const accounts = [
  { account: 'sms:+15550100', handle: '+15550123', conversation: '+15550123' },
  { account: 'telegram:acme_bot', handle: '777', conversation: '777' },
  { account: 'x:acme', handle: '4242', conversation: '4242-99' },
];
lines.push(
  line({
    kind: 'contact',
    id: 'ct_lena',
    name: 'Lena Ortiz',
    identities: accounts.map((a) => ({ account: a.account, handle: a.handle })),
  }),
);
for (let n = 0; n < HISTORY; n++) {
  const a = accounts[n % 3];
  lines.push(
    line({
      kind: 'message',
      account: a.account,
      conversation: a.conversation,
      id: `lena${n}`,
      direction: 'in',
      author: { kind: 'customer', name: 'Lena Ortiz', handle: a.handle },
      text: `Lena's message ${n}`,
      at: new Date(start - (HISTORY - n) * 1_000).toISOString(),
    }),
  );
}
// Three hundred customers who asked for a refund, longest ago of all: the view's last rows.
for (let r = 0; r < REFUNDS; r++) {
  lines.push(
    line({
      kind: 'message',
      account: 'telegram:many_bot',
      conversation: `refund${r}`,
      id: `refund${r}`,
      direction: 'in',
      author: { kind: 'customer', name: `Refunder ${r}`, handle: `refund${r}` },
      text: `Please refund order R${r}`,
      at: new Date(start - (CONVERSATIONS + 20_000 + r) * 60_000).toISOString(),
    }),
  );
}

let app: App;
let page: Page;

beforeAll(async () => {
  app = await openApp({ demo: false, importJsonl: lines.join('\n') + '\n' });
  ({ page } = app);
}, 180_000);

afterAll(async () => app?.close());

/** Scrolls `list` to its end until `done` holds, waiting each time for what was asked to show. */
async function scrollToEnd(list: string, done: () => Promise<boolean>, most: number) {
  for (let i = 0; i < most; i++) {
    if (await done()) return i;
    const height = await page.getByTestId(list).evaluate((el) => el.scrollHeight);
    await page.getByTestId(list).evaluate((el) => (el.scrollTop = el.scrollHeight));
    // The next page makes the list taller, unless the end was reached meanwhile.
    await page.waitForFunction(
      ([id, before]) => {
        const el = document.querySelector(`[data-testid=${id}]`);
        return !el || el.scrollHeight > (before as number) || !document.querySelector('[data-testid=more-rows]');
      },
      [list, height] as const,
      { timeout: 30_000 },
    );
  }
  throw new Error(`${list} did not reach its end in ${most} pages`);
}

describe('history without limits', () => {
  it('scrolls a view of 100,000 conversations to its last, rendering only what is in view', async () => {
    await page.getByText('Customer 000000').waitFor({ timeout: 60_000 });
    const last = page.getByText('Refunder 299', { exact: true });
    const pages = await scrollToEnd('inbox', () => last.isVisible(), 400);
    expect(pages).toBeGreaterThan(100);
    await expect.poll(() => page.getByTestId('more-rows').count()).toBe(0);
    // Every conversation is in the list once, and only the rows in view are in the page.
    const total = await page.locator('[data-testid=inbox] ul').evaluate((ul) => ul.getBoundingClientRect().height / 92);
    expect(Math.round(total)).toBe(CONVERSATIONS + accounts.length + REFUNDS);
    expect(await page.getByTestId('conversation').count()).toBeLessThan(40);
  });

  it("scrolls a customer's 5,000 messages on three channels back to the first", async () => {
    await page.getByTestId('inbox').evaluate((el) => (el.scrollTop = 0));
    await page.getByTestId('conversation').filter({ hasText: 'Lena Ortiz' }).first().getByRole('button').click();
    const messages = page.getByTestId('messages');
    await messages.getByText("Lena's message 4999", { exact: true }).waitFor();
    for (let i = 0; i < 80 && !(await page.getByTestId('first-message').isVisible()); i++) {
      const count = await page.getByTestId('message').count();
      await messages.evaluate((el) => (el.scrollTop = 0));
      await expect.poll(async () => (await page.getByTestId('message').count()) > count || (await page.getByTestId('first-message').count()) > 0).toBe(true);
    }
    await messages.getByText("Lena's message 0", { exact: true }).waitFor();
    const texts = await page.locator('[data-testid=message] .text').allTextContents();
    const expected = Array.from({ length: HISTORY }, (_, n) => `Lena's message ${n}`);
    expect(texts.map((t) => t.trim())).toEqual(expected);
    const badges = new Set(await page.locator('[data-testid=message] .badge').allTextContents());
    expect([...badges].sort()).toEqual(['sms', 'telegram', 'x']);
  });

  it('pages search hits past the first hundred, each once', async () => {
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByTestId('search').fill('refund');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('hit').count()).toBe(50);
    for (let i = 0; i < 20 && (await page.getByTestId('more-hits').count()) > 0; i++) {
      const count = await page.getByTestId('hit').count();
      // From the keyboard: under load the list is still laying out the last page when a pointer
      // would land, and a hit can sit where the button is about to be.
      await page.getByTestId('more-hits').focus();
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('hit').count()).toBeGreaterThan(count);
    }
    const hits = await page.locator('[data-testid=hit] .hit-text').allTextContents();
    expect(hits.length).toBe(REFUNDS);
    expect(new Set(hits).size).toBe(REFUNDS);
  });
});
