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

/**
 * Images already fetched, as `data:` URLs, by message and attachment: the thread pane mounts anew
 * when the agent comes back from Settings or the board, and its photos are not asked of the
 * platform again. Only what was shown is kept (a refusal may be mended, e.g. by adding X photo
 * keys), and only the most recently used up to `budget` characters in all (a photo may be up to
 * 10 MB), so a day's threads do not pile up in memory.
 */
export class ImageCache {
  private images = new Map<string, string>();
  private size = 0;
  constructor(private budget = 16 * 1024 * 1024) {}

  get(message: number, index: number): string | undefined {
    const key = `${message}/${index}`;
    const image = this.images.get(key);
    if (image !== undefined) {
      // Most recently used last, so the least recently used is the first to go.
      this.images.delete(key);
      this.images.set(key, image);
    }
    return image;
  }

  set(message: number, index: number, image: string) {
    const key = `${message}/${index}`;
    this.size -= this.images.get(key)?.length ?? 0;
    this.images.delete(key);
    if (image.length > this.budget) return;
    this.images.set(key, image);
    this.size += image.length;
    for (const [oldest, kept] of this.images) {
      if (this.size <= this.budget) break;
      this.images.delete(oldest);
      this.size -= kept.length;
    }
  }
}

export const shownImages = new ImageCache();
