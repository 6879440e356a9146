// The inbox's view: its filters, the rows loaded so far (a page at a time, by keyset), and
// patches from events: a conversation that changed is read alone and put where it belongs.
import { call } from '../api';
import { messageOf } from '../errors';
import type { Channel } from '../generated/Channel';
import type { ConversationStatus } from '../generated/ConversationStatus';
import type { InboxCursor } from '../generated/InboxCursor';
import type { InboxQuery } from '../generated/InboxQuery';
import type { InboxRow } from '../generated/InboxRow';
import type { InboxSort } from '../generated/InboxSort';
import type { InboxView } from '../generated/InboxView';
import type { Heard } from '../platform';
import { Paged } from './paged.svelte';

export interface Filters {
  view: InboxView;
  channel: Channel | null;
  status: ConversationStatus | null;
  sort: InboxSort;
}

/** Rows of the first page (shown at once), and of each page after it (read while scrolling). */
export const FIRST_PAGE = 100;
export const MORE_PAGE = 500;

/** Whether `a` is listed before `b` in a view sorted by `sort` (see the store's inbox parts). */
export function before(a: InboxRow, b: InboxRow, sort: InboxSort): boolean {
  const time = (r: InboxRow) => (r.last_message_at ? Date.parse(r.last_message_at) : null);
  const recent = (x: InboxRow, y: InboxRow) => {
    const [tx, ty] = [time(x), time(y)];
    if (tx !== ty) {
      if (tx === null) return false;
      if (ty === null) return true;
      return tx > ty;
    }
    return x.id > y.id;
  };
  if (sort === 'recent') {
    if (a.sensitive !== b.sensitive) return a.sensitive;
    return recent(a, b);
  }
  const due = (r: InboxRow) => (r.clock?.breach_at && r.status !== 'solved' ? Date.parse(r.clock.breach_at) : null);
  const [da, db] = [due(a), due(b)];
  if (da !== null && db !== null) return da !== db ? da < db : a.id < b.id;
  if (da !== null || db !== null) return da !== null;
  return recent(a, b);
}

export class Inbox {
  filters: Filters = $state({ view: 'all', channel: null, status: 'open', sort: 'recent' });
  loaded = $state(false);
  private pages = new Paged<InboxRow, InboxCursor>(
    (after) => call('inbox', this.query(after, after ? MORE_PAGE : FIRST_PAGE)).then((p) => ({ items: p.rows, next: p.next })),
    (row) => row.id,
  );
  /** Who else wants to hear of rows read again (the customer panel shows some of them). */
  private watchers: ((rows: InboxRow[]) => void)[] = [];
  /** Each reading of changed rows is numbered: an answer that arrives after a later one's (two
   *  requests in flight at once) does not put an older row back. */
  private asked = 0;
  private applied = new Map<number, number>();

  /** The view's rows loaded so far, in its order. */
  get rows() {
    return this.pages.items;
  }
  private set rows(rows: InboxRow[]) {
    this.pages.items = rows;
  }
  get next() {
    return this.pages.next;
  }
  get loading() {
    return this.pages.loading;
  }
  get error() {
    return this.pages.error;
  }

  private query(after: InboxCursor | null, limit: number): InboxQuery {
    return { ...this.filters, tag: null, limit, after };
  }

  /** Shows the first page of the current filters. */
  async load() {
    this.applied.clear();
    if (await this.pages.start()) this.loaded = true;
  }

  /** Shows the next page, if there is one. */
  more() {
    return this.pages.more();
  }

  set(filters: Partial<Filters>) {
    this.filters = { ...this.filters, ...filters };
    void this.load();
  }

  /** Hears of rows read again. */
  watch(on: (rows: InboxRow[]) => void) {
    this.watchers.push(on);
  }

  /** These conversations changed: read them (one call) and put each where it belongs. */
  async changed(ids: number[]) {
    if (!ids.length || !this.loaded) return;
    const generation = this.pages.generation;
    const asked = ++this.asked;
    let answer;
    try {
      answer = await call('inbox_rows', { ...this.query(null, FIRST_PAGE), ids });
    } catch (e) {
      this.pages.error = messageOf(e);
      return;
    }
    // Only what no later answer has already told.
    const fresh = ids.filter((id) => (this.applied.get(id) ?? 0) < asked);
    for (const id of fresh) this.applied.set(id, asked);
    const rows = answer.rows.filter((r) => fresh.includes(r.id));
    for (const watcher of this.watchers) watcher(rows);
    if (generation !== this.pages.generation) return;
    const inView = new Set(answer.in_view);
    const changed = new Set(fresh);
    this.rows = this.rows.filter((r) => !changed.has(r.id));
    for (const row of rows) {
      if (inView.has(row.id)) this.place(row);
    }
  }

  /** Puts a row where the view's order puts it, unless that is past what is loaded yet. */
  private place(row: InboxRow) {
    const sort = this.filters.sort;
    const at = this.rows.findIndex((r) => before(row, r, sort));
    if (at >= 0) this.rows.splice(at, 0, row);
    else if (!this.next) this.rows.push(row);
  }

  /** The agent read a conversation. */
  read(id: number) {
    const row = this.rows.find((r) => r.id === id);
    if (row) row.unread = 0;
  }

  heard(event: Heard) {
    switch (event.event) {
      case 'messages':
        void this.changed(event.conversations);
        return;
      case 'conversations':
        void this.changed(event.ids);
        return;
      case 'reply':
        void this.changed([event.conversation]);
        return;
      case 'lagged':
      case 'store_opened':
        void this.load();
        return;
    }
  }
}

export const inbox = new Inbox();
