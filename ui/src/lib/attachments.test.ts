import { describe, expect, it } from 'vitest';
import { shownInline } from './attachments';
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
