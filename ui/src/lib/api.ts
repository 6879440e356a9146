// Typed calls of the command list. The answers' types are those the command's doc names.
import type { AccountView } from './generated/AccountView';
import type { Channel } from './generated/Channel';
import type { ComposerState } from './generated/ComposerState';
import type { ConversationStatus } from './generated/ConversationStatus';
import type { InboxQuery } from './generated/InboxQuery';
import type { NotificationSettings } from './generated/NotificationSettings';
import type { NewAccount } from './generated/NewAccount';
import type { OAuth1Keys } from './generated/OAuth1Keys';
import type { InboxRow } from './generated/InboxRow';
import type { OutboxItem } from './generated/OutboxItem';
import type { Priority } from './generated/Priority';
import type { SearchHit } from './generated/SearchHit';
import type { Thread } from './generated/Thread';
import type { AppStatus } from './generated/AppStatus';
import type { AttachmentData } from './generated/AttachmentData';
import type { Board } from './generated/Board';
import type { RuleRecord } from './generated/RuleRecord';
import type { Expectations } from './generated/Expectations';
import type { CalendarRecord } from './generated/CalendarRecord';
import type { SlaPolicyRecord } from './generated/SlaPolicyRecord';
import type { SlaSettings } from './generated/SlaSettings';
import type { CannedAction } from './generated/CannedAction';
import type { CannedRender } from './generated/CannedRender';
import type { CannedReplyRecord } from './generated/CannedReplyRecord';
import type { ContactEdit } from './generated/ContactEdit';
import type { ContactHit } from './generated/ContactHit';
import type { CustomerProfile } from './generated/CustomerProfile';
import type { NoteView } from './generated/NoteView';
import type { ShopSettings } from './generated/ShopSettings';
import type { ShopView } from './generated/ShopView';
import type { SignatureSettings } from './generated/SignatureSettings';
import type { BroadcastResult } from './generated/BroadcastResult';
import type { HideReason } from './generated/HideReason';
import { platform } from './platform';

const p = () => platform();

export const api = {
  inbox: (q: InboxQuery) => p().call<InboxRow[]>({ command: 'inbox', ...q }),
  thread: (conversation: number) => p().call<Thread>({ command: 'thread', conversation }),
  markRead: (conversation: number) => p().call<null>({ command: 'mark_read', conversation }),
  composer: (conversation: number, text: string) => p().call<ComposerState>({ command: 'composer', conversation, text }),
  reply: (conversation: number, text: string, key: string, actions: CannedAction[] = []) =>
    p().call<OutboxItem>({ command: 'reply', conversation, text, key, actions }),
  replyPrivately: (conversation: number, text: string, key: string, comment: number | null = null) =>
    p().call<OutboxItem>({ command: 'reply_privately', conversation, comment, text, key }),
  hideComment: (message: number, reason: HideReason, note: string | null = null) =>
    p().call<OutboxItem>({ command: 'hide_comment', message, reason, note }),
  broadcast: (tag: string, text: string, key: string) => p().call<BroadcastResult[]>({ command: 'broadcast', tag, text, key }),
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
  setPhotoKeys: (key: string, keys: OAuth1Keys | null) => p().call<AccountView>({ command: 'set_photo_keys', key, keys }),
  attachment: (message: number, index: number) => p().call<AttachmentData>({ command: 'attachment', message, index }),
  accounts: () => p().call<AccountView[]>({ command: 'accounts' }),
  customer: (customer: number) => p().call<CustomerProfile>({ command: 'customer', customer }),
  refreshOrders: (customer: number, force = false) => p().call<CustomerProfile>({ command: 'refresh_orders', customer, force }),
  editCustomer: (customer: number, edit: ContactEdit) => p().call<CustomerProfile>({ command: 'edit_customer', customer, edit }),
  findCustomers: (text: string) => p().call<ContactHit[]>({ command: 'find_customers', text }),
  merge: (keep: number, absorb: number) => p().call<CustomerProfile>({ command: 'merge_customers', keep, absorb }),
  unmerge: (merge: number) => p().call<CustomerProfile>({ command: 'unmerge', merge }),
  orderSummary: (customer: number, order: string) => p().call<string>({ command: 'order_summary', customer, order }),
  addNote: (conversation: number, text: string) => p().call<NoteView>({ command: 'add_note', conversation, text }),
  cannedReplies: () => p().call<CannedReplyRecord[]>({ command: 'canned_replies' }),
  saveCanned: (reply: CannedReplyRecord) => p().call<CannedReplyRecord[]>({ command: 'save_canned_reply', ...reply }),
  deleteCanned: (shortcut: string) => p().call<CannedReplyRecord[]>({ command: 'delete_canned_reply', shortcut }),
  renderCanned: (shortcut: string, conversation: number) => p().call<CannedRender>({ command: 'render_canned', shortcut, conversation }),
  shopSettings: () => p().call<ShopView>({ command: 'shop_settings' }),
  saveShopSettings: (settings: ShopSettings, token: string | null) => p().call<ShopView>({ command: 'save_shop_settings', settings, token }),
  signatureSettings: () => p().call<SignatureSettings>({ command: 'signature_settings' }),
  saveSignatureSettings: (s: SignatureSettings) => p().call<null>({ command: 'save_signature_settings', ...s }),
  board: () => p().call<Board>({ command: 'board' }),
  expectations: () => p().call<Expectations>({ command: 'expectations' }),
  saveExpectations: (e: Expectations) => p().call<null>({ command: 'save_expectations', ...e }),
  rules: () => p().call<RuleRecord[]>({ command: 'rules' }),
  saveRule: (rule: RuleRecord) => p().call<RuleRecord[]>({ command: 'save_rule', ...rule }),
  deleteRule: (name: string) => p().call<RuleRecord[]>({ command: 'delete_rule', name }),
  slaSettings: () => p().call<SlaSettings>({ command: 'sla_settings' }),
  saveCalendar: (c: CalendarRecord) => p().call<SlaSettings>({ command: 'save_calendar', ...c }),
  saveSlaPolicy: (policy: SlaPolicyRecord) => p().call<SlaSettings>({ command: 'save_sla_policy', ...policy }),
  deleteSlaPolicy: (name: string) => p().call<SlaSettings>({ command: 'delete_sla_policy', name }),
  notificationSettings: () => p().call<NotificationSettings>({ command: 'notification_settings' }),
  saveNotificationSettings: (s: NotificationSettings) =>
    p().call<null>({ command: 'save_notification_settings', ...s }),
};
