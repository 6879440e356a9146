import type { Attachment } from './generated/Attachment';
import type { MessageView } from './generated/MessageView';

/**
 * Whether the app fetches this attachment to show it inline: an email's image (from the raw
 * message), a platform-hosted image (a link, or Telegram's file id), or an SMS or WhatsApp media
 * whose type Twilio tells only when asked (the app shows it only if it is an image). Not an X DM's
 * photo: X shows those only to a signed-in X session (or OAuth 1.0a), so it opens in the browser.
 */
export function shownInline(message: MessageView, a: Attachment): boolean {
  if (message.email) return a.kind === 'image';
  if (message.channel === 'x') return false;
  const twilio = (message.channel === 'sms' || message.channel === 'whatsapp') && a.mime === null;
  const hosted = (a.url !== null && /^https?:\/\//i.test(a.url)) || a.file_id !== null;
  return (a.kind === 'image' && hosted) || twilio;
}
