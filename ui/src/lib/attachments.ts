import type { Attachment } from './generated/Attachment';
import type { MessageView } from './generated/MessageView';

/**
 * Whether the app fetches this attachment to show it inline: an email's image (from the raw
 * message), a platform-hosted image (a link, or Telegram's file id), or an SMS or WhatsApp media
 * whose type Twilio tells only when asked (the app shows it only if it is an image). An X DM's photo
 * is asked for too: X serves it only to requests signed with the account's photo keys, so where the
 * agent has not added them the app says so and "Open" takes it to the browser, signed in to X.
 */
export function shownInline(message: MessageView, a: Attachment): boolean {
  if (message.email) return a.kind === 'image';
  const twilio = (message.channel === 'sms' || message.channel === 'whatsapp') && a.mime === null;
  const hosted = (a.url !== null && /^https?:\/\//i.test(a.url)) || a.file_id !== null;
  return (a.kind === 'image' && hosted) || twilio;
}
