import { describe, expect, it } from 'vitest';
import { ImageCache, shownInline } from './attachments';
import type { Attachment } from './generated/Attachment';
import type { MessageView } from './generated/MessageView';

const attachment = (a: Partial<Attachment>): Attachment => ({ kind: 'image', name: null, mime: null, url: null, size: null, file_id: null, ...a });
const message = (m: Partial<MessageView>): MessageView => ({ channel: 'messenger', email: null, ...m }) as MessageView;

describe('shownInline', () => {
  it('fetches images the platform hosts, by link or by file id', () => {
    expect(shownInline(message({}), attachment({ url: 'https://scontent.xx.fbcdn.net/v/a.jpg' }))).toBe(true);
    expect(shownInline(message({ channel: 'telegram' }), attachment({ file_id: 'AgACAgIAAxkBAAI' }))).toBe(true);
    // X's DM photos too: the app signs for them with the account's photo keys, where it has them.
    expect(shownInline(message({ channel: 'x' }), attachment({ url: 'https://ton.twitter.com/1.1/ton/data/dm/1/1/a.jpg' }))).toBe(true);
  });

  it('leaves files, links that are not the web and images with nowhere to fetch from', () => {
    expect(shownInline(message({}), attachment({ kind: 'file', url: 'https://scontent.xx.fbcdn.net/v/a.pdf' }))).toBe(false);
    expect(shownInline(message({}), attachment({ url: 'javascript:alert(1)' }))).toBe(false);
    expect(shownInline(message({ channel: 'x' }), attachment({}))).toBe(false);
  });

  it("asks Twilio what an SMS or WhatsApp media is, but not when its type is known", () => {
    expect(shownInline(message({ channel: 'sms' }), attachment({ kind: 'file' }))).toBe(true);
    expect(shownInline(message({ channel: 'whatsapp' }), attachment({ kind: 'file' }))).toBe(true);
    expect(shownInline(message({ channel: 'sms' }), attachment({ kind: 'file', mime: 'application/pdf' }))).toBe(false);
  });

  it("shows an email's images from the message itself", () => {
    expect(shownInline(message({ channel: 'email', email: {} as MessageView['email'] }), attachment({ url: 'cid:logo' }))).toBe(true);
    expect(shownInline(message({ channel: 'email', email: {} as MessageView['email'] }), attachment({ kind: 'file' }))).toBe(false);
  });
});

describe('ImageCache', () => {
  it('keeps what was shown, most recently used first, within its budget', () => {
    const cache = new ImageCache(10);
    cache.set(1, 0, 'aaaa');
    cache.set(2, 0, 'bbbb');
    expect(cache.get(1, 0)).toBe('aaaa');
    // Over the budget: the least recently used (2/0, since 1/0 was just read) goes.
    cache.set(3, 0, 'cccc');
    expect([cache.get(1, 0), cache.get(2, 0), cache.get(3, 0)]).toEqual(['aaaa', undefined, 'cccc']);
    // Replacing an entry counts its new size only; one larger than the budget is not kept.
    cache.set(1, 0, 'dd');
    cache.set(4, 1, 'eeee');
    expect([cache.get(1, 0), cache.get(3, 0), cache.get(4, 1)]).toEqual(['dd', 'cccc', 'eeee']);
    cache.set(5, 0, 'x'.repeat(11));
    expect(cache.get(5, 0)).toBeUndefined();
    expect(cache.get(4, 1)).toBe('eeee');
  });
});
