// Typed calls of the command list. The answers' types are those the command's doc names.
import type { AccountView } from './generated/AccountView';
import type { Channel } from './generated/Channel';
import type { ComposerState } from './generated/ComposerState';
import type { ConversationStatus } from './generated/ConversationStatus';
import type { InboxQuery } from './generated/InboxQuery';
import type { NotificationSettings } from './generated/NotificationSettings';
import type { NewAccount } from './generated/NewAccount';
import type { InboxRow } from './generated/InboxRow';
import type { OutboxItem } from './generated/OutboxItem';
import type { Priority } from './generated/Priority';
import type { SearchHit } from './generated/SearchHit';
import type { Thread } from './generated/Thread';
import type { AppStatus } from './generated/AppStatus';
import type { AttachmentData } from './generated/AttachmentData';
import { platform } from './platform';

const p = () => platform();

export const api = {
  inbox: (q: InboxQuery) => p().call<InboxRow[]>({ command: 'inbox', ...q }),
  thread: (conversation: number) => p().call<Thread>({ command: 'thread', conversation }),
  markRead: (conversation: number) => p().call<null>({ command: 'mark_read', conversation }),
  composer: (conversation: number, text: string) => p().call<ComposerState>({ command: 'composer', conversation, text }),
  reply: (conversation: number, text: string, key: string) =>
    p().call<OutboxItem>({ command: 'reply', conversation, text, key }),
  retry: (reply: number) => p().call<OutboxItem>({ command: 'retry_reply', reply }),
  outbox: () => p().call<OutboxItem[]>({ command: 'outbox' }),
  /** Queues a failed reply again, found by the thread message that shows it. */
  async retryMessage(messageId: number) {
    const item = (await api.outbox()).find((i) => i.message_id === messageId);
    if (item) await api.retry(item.id);
  },
  setStatus: (conversation: number, status: ConversationStatus) =>
    p().call<null>({ command: 'set_status', conversation, status }),
  setPriority: (conversation: number, priority: Priority) =>
    p().call<null>({ command: 'set_priority', conversation, priority }),
  assign: (conversation: number, me: boolean) => p().call<null>({ command: 'assign', conversation, me }),
  search: (text: string, channel: Channel | null = null, status: ConversationStatus | null = null) =>
    p().call<SearchHit[]>({ command: 'search', text, channel, status }),
  setTags: (conversation: number, tags: string[]) => p().call<null>({ command: 'set_tags', conversation, tags }),
  unlock: (passphrase: string) => p().call<AppStatus>({ command: 'unlock', passphrase }),
  startDemo: () => p().call<null>({ command: 'start_demo' }),
  addAccount: (form: NewAccount) => p().call<AccountView>({ command: 'add_account', ...form }),
  disconnect: (key: string) => p().call<null>({ command: 'disconnect_account', key }),
  reauthenticate: (key: string, secret: string) => p().call<null>({ command: 'reauthenticate', key, secret }),
  attachment: (message: number, index: number) => p().call<AttachmentData>({ command: 'attachment', message, index }),
  accounts: () => p().call<AccountView[]>({ command: 'accounts' }),
  notificationSettings: () => p().call<NotificationSettings>({ command: 'notification_settings' }),
  saveNotificationSettings: (s: NotificationSettings) =>
    p().call<null>({ command: 'save_notification_settings', ...s }),
};
