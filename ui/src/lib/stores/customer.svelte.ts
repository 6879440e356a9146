// The customer beside the open thread: their profile, orders from the shop, edits and merges.
import { call } from '../api';
import { messageOf } from '../errors';
import type { ContactEdit } from '../generated/ContactEdit';
import type { ContactHit } from '../generated/ContactHit';
import type { CustomerProfile } from '../generated/CustomerProfile';
import type { InboxRow } from '../generated/InboxRow';
import type { Heard } from '../platform';
import { inbox } from './inbox.svelte';

export class Customer {
  id: number | null = $state(null);
  profile: CustomerProfile | null = $state(null);
  error: string | null = $state(null);
  refreshing = $state(false);

  constructor() {
    // Rows the inbox read again include this customer's conversations: patched, not asked for.
    inbox.watch((rows) => this.patch(rows));
  }

  /** Shows a customer: the cache at once, then the shop's news if the cache is old. */
  async show(id: number) {
    // Shown already (or being read): the workspace's events keep it current.
    if (this.id === id) return;
    this.id = id;
    this.profile = null;
    await this.load();
    await this.refresh(false);
  }

  async load() {
    const id = this.id;
    if (id === null) return;
    try {
      const profile = await call('customer', { customer: id });
      if (this.id === id) {
        this.profile = profile;
        this.error = null;
      }
    } catch (e) {
      this.error = messageOf(e);
    }
  }

  async refresh(force: boolean) {
    const id = this.id;
    if (id === null) return;
    this.refreshing = true;
    try {
      const profile = await call('refresh_orders', { customer: id, force });
      if (this.id === id) this.profile = profile;
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.refreshing = false;
    }
  }

  private async with(f: () => Promise<CustomerProfile>): Promise<boolean> {
    try {
      this.profile = await f();
      this.error = null;
      return true;
    } catch (e) {
      this.error = messageOf(e);
      return false;
    }
  }

  edit(edit: ContactEdit) {
    const id = this.id!;
    return this.with(() => call('edit_customer', { customer: id, edit }));
  }

  merge(absorb: number) {
    const id = this.id!;
    return this.with(() => call('merge_customers', { keep: id, absorb }));
  }

  unmerge(merge: number) {
    return this.with(() => call('unmerge', { merge }));
  }

  async find(text: string): Promise<ContactHit[]> {
    if (!text.trim()) return [];
    return (await call('find_customers', { text })).filter((c) => c.id !== this.id);
  }

  orderSummary(order: string) {
    return call('order_summary', { customer: this.id!, order });
  }

  private patch(rows: InboxRow[]) {
    const profile = this.profile;
    if (!profile) return;
    for (const row of rows) {
      const at = profile.conversations.findIndex((c) => c.id === row.id);
      if (at >= 0) profile.conversations[at] = row;
    }
  }

  heard(event: Heard) {
    if (event.event === 'customer' && event.customer === this.id) void this.load();
    if (event.event === 'lagged') void this.load();
  }
}

export const customer = new Customer();
