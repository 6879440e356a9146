// Customer content is untrusted: 50+ script-injection payloads, imported into every rendered
// field and sent by a "customer" through the sandbox, render as text in Chromium. Nothing runs:
// the sentinel stays unset and no dialog opens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PAYLOADS, payloadJsonl } from './payloads';
import { openApp, screenshots, type App, type WebMode } from './web-mode';

let app: App;
let web: WebMode;
let page: Page;

beforeAll(async () => {
  app = await openApp({ demo: true, importJsonl: payloadJsonl() });
  ({ web, page } = app);
}, 60_000);

afterAll(async () => app?.close());

const pwned = () => page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned);

describe('hostile customer content', () => {
  it('imported into every field, renders as text in the inbox, threads and search', async () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(50);
    await page.getByRole('button', { name: 'x', exact: true }).click();
    await page.getByRole('button', { name: 'All', exact: true }).nth(2).click();
    // Every conversation opened in turn with the keyboard (the list renders only what is in view).
    await page.getByTestId('conversation').first().getByRole('button').click();
    const shown = () => page.getByTestId('thread').getAttribute('aria-label');
    let visited = 1;
    for (;;) {
      const before = await shown();
      await page.keyboard.press('j');
      const moved = await expect.poll(shown, { timeout: 2_000 }).not.toBe(before).then(() => true, () => false);
      if (!moved) break;
      visited += 1;
    }
    expect(visited).toBeGreaterThanOrEqual(PAYLOADS.length);
    await page.keyboard.press('/');
    await page.getByTestId('search').fill('script');
    await page.keyboard.press('Enter');
    await page.locator('.hits li button').first().waitFor();
    // The payloads are there, as text.
    expect(await page.locator('.hits').textContent()).toContain('<script>window.__pwned=1</script>');
    await page.screenshot({ path: join(screenshots, 'hostile.png') });
    expect(await pwned()).toBeUndefined();
    expect(app.dialogs).toEqual([]);
  });

  it('sent by a customer through the sandbox, renders as text when it arrives live', async () => {
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'telegram', exact: true }).click();
    const sandbox = await web.sandbox;
    for (const p of PAYLOADS.slice(0, 12)) {
      await fetch(`${sandbox}/_sandbox/customer-writes?channel=telegram&text=${encodeURIComponent(p)}`, { method: 'POST' });
    }
    await page.getByTestId('inbox').getByText(PAYLOADS[11]).first().waitFor({ timeout: 20_000 });
    await page.getByTestId('conversation').first().getByRole('button').click();
    await page.getByTestId('thread').waitFor();
    expect(await pwned()).toBeUndefined();
    expect(app.dialogs).toEqual([]);
  });
});
