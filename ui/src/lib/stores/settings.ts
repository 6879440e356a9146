// What Settings reads and writes: accounts, notifications, the shop, expectations, the
// signature, triage rules, calendars and SLA policies, and the canned-reply library. Each
// write answers with what the workspace now holds.
import { call } from '../api';
import type { CalendarRecord } from '../generated/CalendarRecord';
import type { CannedReplyRecord } from '../generated/CannedReplyRecord';
import type { Expectations } from '../generated/Expectations';
import type { NewAccount } from '../generated/NewAccount';
import type { NotificationSettings } from '../generated/NotificationSettings';
import type { OAuth1Keys } from '../generated/OAuth1Keys';
import type { RuleRecord } from '../generated/RuleRecord';
import type { ShopSettings } from '../generated/ShopSettings';
import type { SignatureSettings } from '../generated/SignatureSettings';
import type { SlaPolicyRecord } from '../generated/SlaPolicyRecord';

export const settings = {
  addAccount: (form: NewAccount) => call('add_account', form),
  reauthenticate: (key: string, secret: string) => call('reauthenticate', { key, secret }),
  disconnect: (key: string) => call('disconnect_account', { key }),
  setPhotoKeys: (key: string, keys: OAuth1Keys | null) => call('set_photo_keys', { key, keys }),
  joinTeam: (url: string, code: string) => call('join_team', { url, code }),
  team: () => call('team_settings', {}),
  setAutoAssignment: (enabled: boolean, capacity: number) => call('set_auto_assignment', { enabled, capacity, by: null }),
  notifications: () => call('notification_settings', {}),
  saveNotifications: (s: NotificationSettings) => call('save_notification_settings', s),
  shop: () => call('shop_settings', {}),
  saveShop: (s: ShopSettings, token: string | null) => call('save_shop_settings', { settings: s, token }),
  expectations: () => call('expectations', {}),
  saveExpectations: (e: Expectations) => call('save_expectations', e),
  signature: () => call('signature_settings', {}),
  saveSignature: (s: SignatureSettings) => call('save_signature_settings', s),
  rules: () => call('rules', {}),
  saveRule: (rule: RuleRecord) => call('save_rule', rule),
  deleteRule: (name: string) => call('delete_rule', { name }),
  sla: () => call('sla_settings', {}),
  saveCalendar: (c: CalendarRecord) => call('save_calendar', c),
  savePolicy: (p: SlaPolicyRecord) => call('save_sla_policy', p),
  deletePolicy: (name: string) => call('delete_sla_policy', { name }),
  library: () => call('canned_replies', {}),
  saveCanned: (reply: CannedReplyRecord) => call('save_canned_reply', reply),
  deleteCanned: (shortcut: string) => call('delete_canned_reply', { shortcut }),
};
