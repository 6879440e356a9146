// An email in the thread: its quoted history folded, its image shown from the raw message, its
// file saved as a download.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openApp, screenshots, type App, type WebMode } from './web-mode';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const text = 'Here is the photo of the zipper.\n\nOn Mon, 23 Nov 2026, Acme <help@acme.test> wrote:\n> Could you send a photo?\n';
const raw = [
  'From: Jane Doe <jane@customer.test>',
  'To: help@acme.test',
  'Subject: Broken zipper',
  'Message-ID: <z1@customer.test>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=UTF-8',
  '',
  text,
  '--b',
  'Content-Type: image/png',
  'Content-Disposition: attachment; filename="zipper.png"',
  'Content-Transfer-Encoding: base64',
  '',
  PNG,
  '--b',
  'Content-Type: application/pdf',
  'Content-Disposition: attachment; filename="receipt.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF-1.4 receipt').toString('base64'),
  '--b--',
  '',
].join('\r\n');
const quote = Buffer.byteLength('Here is the photo of the zipper.\n\n');
const record = {
  kind: 'message',
  account: 'email:help@acme.test',
  conversation: 'z1@customer.test',
  id: 'sha256:z1',
  direction: 'in',
  author: { kind: 'customer', name: 'Jane Doe', handle: 'jane@customer.test' },
  text,
  at: new Date().toISOString(),
  attachments: [
    { kind: 'image', name: 'zipper.png', mime: 'image/png', size: 70 },
    { kind: 'file', name: 'receipt.pdf', mime: 'application/pdf', size: 16 },
  ],
  email: {
    message_id: 'z1@customer.test',
    subject: 'Broken zipper',
    folds: [{ kind: 'quote', start: quote, end: Buffer.byteLength(text) }],
    raw: Buffer.from(raw).toString('base64'),
  },
};

let app: App;
let web: WebMode;
let page: Page;

beforeAll(async () => {
  app = await openApp({ demo: false, importJsonl: JSON.stringify(record) + '\n' });
  ({ web, page } = app);
}, 60_000);

afterAll(async () => app?.close());

describe('an email in the thread', () => {
  it('folds the quote, shows the image and saves the file', async () => {
    await page.getByTestId('conversation').first().getByRole('button').click();
    await page.getByTestId('thread').waitFor();
    await page.getByRole('button', { name: /Show quoted text/ }).waitFor();
    expect(await page.getByTestId('message').textContent()).not.toContain('Could you send a photo?');
    const image = page.locator('[data-testid=attachment] img');
    await image.waitFor();
    expect(await image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    await page.screenshot({ path: join(screenshots, 'email.png') });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('attachment').filter({ hasText: 'receipt.pdf' }).getByRole('button', { name: 'Save' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('receipt.pdf');
    await page.getByRole('button', { name: /Show quoted text/ }).click();
    await page.getByTestId('thread').getByText('Could you send a photo?').waitFor();
  });
});
