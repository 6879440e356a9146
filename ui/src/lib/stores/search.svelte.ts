// Search over every message and note, a page of hits at a time.
import { call } from '../api';
import type { Channel } from '../generated/Channel';
import type { ConversationStatus } from '../generated/ConversationStatus';
import type { SearchCursor } from '../generated/SearchCursor';
import type { SearchHit } from '../generated/SearchHit';
import { Paged } from './paged.svelte';

export class Search {
  text = $state('');
  channel: Channel | null = $state(null);
  status: ConversationStatus | null = $state(null);
  searched = $state(false);
  private pages = new Paged<SearchHit, SearchCursor>(
    (after) => call('search', { text: this.text, channel: this.channel, status: this.status, after }).then((p) => ({ items: p.hits, next: p.next })),
    // A note and a message may share an id.
    (hit) => `${hit.note ? 'n' : 'm'}${hit.message_id}`,
  );

  get hits() {
    return this.pages.items;
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

  async run() {
    if (!this.text.trim()) {
      this.pages.clear();
      this.searched = false;
      return;
    }
    if (await this.pages.start()) this.searched = true;
  }

  /** The next page of hits. */
  more() {
    return this.pages.more();
  }
}

export const search = new Search();
