// Search over every message and note, a page of hits at a time.
import { call } from '../api';
import { messageOf } from '../errors';
import type { Channel } from '../generated/Channel';
import type { ConversationStatus } from '../generated/ConversationStatus';
import type { SearchCursor } from '../generated/SearchCursor';
import type { SearchHit } from '../generated/SearchHit';

export class Search {
  text = $state('');
  channel: Channel | null = $state(null);
  status: ConversationStatus | null = $state(null);
  hits: SearchHit[] = $state([]);
  next: SearchCursor | null = $state(null);
  searched = $state(false);
  loading = $state(false);
  error: string | null = $state(null);
  private generation = 0;

  async run() {
    const generation = ++this.generation;
    if (!this.text.trim()) {
      this.hits = [];
      this.next = null;
      this.searched = false;
      return;
    }
    this.loading = true;
    try {
      const page = await call('search', { text: this.text, channel: this.channel, status: this.status, after: null });
      if (generation !== this.generation) return;
      this.hits = page.hits;
      this.next = page.next;
      this.searched = true;
      this.error = null;
    } catch (e) {
      if (generation === this.generation) this.error = messageOf(e);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** The next page of hits. */
  async more() {
    if (!this.next || this.loading) return;
    const generation = this.generation;
    this.loading = true;
    try {
      const page = await call('search', { text: this.text, channel: this.channel, status: this.status, after: this.next });
      if (generation !== this.generation) return;
      this.hits.push(...page.hits);
      this.next = page.next;
    } catch (e) {
      if (generation === this.generation) this.error = messageOf(e);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }
}

export const search = new Search();
