// What the composer asks: the channel's rules for the text, the canned-reply library and its
// replies filled in, and what it sends (a reply, a private reply, a note).
import { call } from '../api';
import type { CannedAction } from '../generated/CannedAction';

export const compose = {
  rules: (conversation: number, text: string) => call('composer', { conversation, text }),
  library: () => call('canned_replies', {}),
  render: (shortcut: string, conversation: number) => call('render_canned', { shortcut, conversation }),
  reply: (conversation: number, text: string, key: string, actions: CannedAction[]) => call('reply', { conversation, text, key, actions }),
  replyPrivately: (conversation: number, text: string, key: string) => call('reply_privately', { conversation, comment: null, text, key }),
  note: (conversation: number, text: string) => call('add_note', { conversation, text }),
  attachment: (message: number, index: number) => call('attachment', { message, index }),
};
