// The app and its store: whether it is open, the agent, the unread count, the accounts.
import { call } from '../api';
import { messageOf } from '../errors';
import type { AccountView } from '../generated/AccountView';
import type { AppStatus } from '../generated/AppStatus';
import { platform, type Heard } from '../platform';

export class Session {
  status: AppStatus | null = $state(null);
  /** Why the app could not even ask (web mode's server gone, say). */
  failure: string | null = $state(null);
  unlockError: string | null = $state(null);
  /** Unread customer messages over every conversation. */
  unread = $state(0);
  accounts: AccountView[] = $state([]);

  get agent(): string {
    return this.status?.agent ?? '';
  }

  get open(): boolean {
    return this.status?.store.state === 'unlocked';
  }

  async load() {
    try {
      this.status = await platform().status();
      this.unread = this.status.store.counts?.unread ?? 0;
      if (this.open) await this.loadAccounts();
    } catch (e) {
      this.failure = messageOf(e);
    }
  }

  async unlock(passphrase: string) {
    try {
      this.status = await call('unlock', { passphrase });
      this.unlockError = null;
      this.unread = this.status.store.counts?.unread ?? 0;
      await this.loadAccounts();
    } catch (e) {
      this.unlockError = messageOf(e);
    }
  }

  startDemo() {
    return call('start_demo', {});
  }

  async loadAccounts() {
    this.accounts = await call('accounts', {});
  }

  heard(event: Heard) {
    switch (event.event) {
      case 'unread':
        this.unread = event.total;
        return;
      case 'account_state': {
        // The state is in the event: no need to ask.
        const account = this.accounts.find((a) => a.key === event.account);
        if (account) {
          account.state = event.state;
          account.state_detail = event.detail;
        } else {
          void this.loadAccounts();
        }
        return;
      }
      case 'accounts':
      case 'demo':
        void this.loadAccounts();
        return;
      case 'store_opened':
        if (!this.open) void this.load();
        return;
      case 'lagged':
        void this.load();
        return;
    }
  }
}

export const session = new Session();
