// The open conversation: the customer's story a page at a time (older pages on demand), kept
// current from events, what the agent does to it, and the agent's draft.
import { call } from '../api';
import { messageOf } from '../errors';
import type { ConversationStatus } from '../generated/ConversationStatus';
import type { HideReason } from '../generated/HideReason';
import type { InboxCursor } from '../generated/InboxCursor';
import type { InboxPage } from '../generated/InboxPage';
import type { MessageCursor } from '../generated/MessageCursor';
import type { Priority } from '../generated/Priority';
import type { Thread } from '../generated/Thread';
import type { Heard } from '../platform';
import { inbox } from './inbox.svelte';

/** How long typing rests before the draft is kept. */
const DRAFT_PAUSE_MS = 400;

export class OpenThread {
  id: number | null = $state(null);
  thread: Thread | null = $state(null);
  /** Where the next older page ends (none: the first message is shown). */
  older: MessageCursor | null = $state(null);
  loadingOlder = $state(false);
  error: string | null = $state(null);
  /** A draft waiting to be kept, and its timer. */
  private pending: { conversation: number; text: string; timer: ReturnType<typeof setTimeout> } | null = null;

  async open(id: number) {
    this.flushDraft();
    this.id = id;
    this.error = null;
    try {
      const thread = await call('thread', { conversation: id });
      if (this.id !== id) return;
      this.thread = thread;
      this.older = thread.older;
      // Read once shown, whichever way it was opened.
      if (thread.conversation.unread > 0) {
        await call('mark_read', { conversation: id });
        inbox.read(id);
      }
    } catch (e) {
      if (this.id === id) this.error = messageOf(e);
    }
  }

  close() {
    this.flushDraft();
    this.id = null;
    this.thread = null;
  }

  /** The page before the oldest shown. */
  async loadOlder() {
    const id = this.id;
    if (id === null || !this.older || this.loadingOlder || !this.thread) return;
    this.loadingOlder = true;
    try {
      const page = await call('history', { conversation: id, before: this.older });
      if (this.id !== id || !this.thread) return;
      const shown = new Set(this.thread.messages.map((m) => m.id));
      this.thread.messages = [...page.messages.filter((m) => !shown.has(m.id)), ...this.thread.messages];
      const notes = new Set(this.thread.notes.map((n) => n.id));
      this.thread.notes = [...page.notes.filter((n) => !notes.has(n.id)), ...this.thread.notes];
      this.thread.handoffs = [...page.handoffs, ...this.thread.handoffs];
      this.older = page.older;
      this.thread.has_older = page.older !== null;
    } catch (e) {
      this.error = messageOf(e);
    } finally {
      this.loadingOlder = false;
    }
  }

  /** Reads the latest page again and keeps the older pages already shown before it. */
  async refresh() {
    const id = this.id;
    if (id === null) return;
    try {
      const latest = await call('thread', { conversation: id });
      if (this.id !== id) return;
      const kept = this.thread;
      if (kept && latest.messages.length) {
        const first = latest.messages[0];
        const earlier = kept.messages.filter((m) => Date.parse(m.at) < Date.parse(first.at) || (m.at === first.at && m.id < first.id));
        const firstAt = Date.parse(first.at);
        latest.messages = [...earlier, ...latest.messages];
        latest.notes = [...kept.notes.filter((n) => Date.parse(n.at) < firstAt), ...latest.notes.filter((n) => Date.parse(n.at) >= firstAt)];
        if (earlier.length) {
          latest.handoffs = [...kept.handoffs.filter((h) => earlier.some((m) => m.id === h.first)), ...latest.handoffs];
          latest.older = this.older;
          latest.has_older = this.older !== null;
        }
      }
      this.thread = latest;
      this.older = latest.older;
    } catch (e) {
      this.error = messageOf(e);
    }
  }

  /** Whether an event about these conversations touches what is shown. */
  private shows(conversations: number[]): boolean {
    const thread = this.thread;
    if (!thread) return false;
    return conversations.some((c) => c === thread.conversation.id || thread.messages.some((m) => m.conversation_id === c));
  }

  heard(event: Heard) {
    switch (event.event) {
      case 'messages':
        if (this.shows(event.conversations)) void this.refresh();
        return;
      case 'conversations':
        if (this.thread && event.ids.includes(this.thread.conversation.id)) void this.refresh();
        return;
      case 'reply':
        if (this.shows([event.conversation])) void this.refresh();
        return;
      case 'lagged':
        void this.refresh();
        return;
    }
  }

  /** Keeps `text` as the conversation's draft once typing rests. */
  draft(conversation: number, text: string) {
    if (this.pending) clearTimeout(this.pending.timer);
    const timer = setTimeout(() => this.flushDraft(), DRAFT_PAUSE_MS);
    this.pending = { conversation, text, timer };
  }

  /** Keeps a waiting draft now (the agent moves on, or the page goes). */
  flushDraft() {
    const pending = this.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending = null;
    if (this.thread?.conversation.id === pending.conversation) this.thread.draft = pending.text.trim() ? pending.text : null;
    call('save_draft', { conversation: pending.conversation, text: pending.text }).catch((e) => (this.error = messageOf(e)));
  }

  /** The draft was sent: nothing waits to be kept. */
  sent(conversation: number) {
    if (this.pending?.conversation === conversation) {
      clearTimeout(this.pending.timer);
      this.pending = null;
    }
    if (this.thread?.conversation.id === conversation) this.thread.draft = null;
  }

  private act(f: () => Promise<unknown>) {
    return f().catch((e) => {
      this.error = messageOf(e);
      throw e;
    });
  }

  setStatus(status: ConversationStatus) {
    const id = this.thread?.conversation.id;
    if (id === undefined) return Promise.resolve();
    return this.act(() => call('set_status', { conversation: id, status }));
  }

  setPriority(priority: Priority) {
    const id = this.thread?.conversation.id;
    if (id === undefined) return Promise.resolve();
    return this.act(() => call('set_priority', { conversation: id, priority }));
  }

  setTags(tags: string[]) {
    const id = this.thread?.conversation.id;
    if (id === undefined) return Promise.resolve();
    return this.act(() => call('set_tags', { conversation: id, tags }));
  }

  assign(me: boolean) {
    const id = this.thread?.conversation.id;
    if (id === undefined) return Promise.resolve();
    return this.act(() => call('assign', { conversation: id, me }));
  }

  hideComment(message: number, reason: HideReason, note: string | null = null) {
    return this.act(() => call('hide_comment', { message, reason, note }));
  }

  /** A failed reply queued again, named by the message that shows it. */
  retry(message: number) {
    return this.act(() => call('retry_reply', { message }));
  }

  broadcast(tag: string, text: string, key: string) {
    return call('broadcast', { tag, text, key });
  }

  /** How many unsolved conversations share this incident's tag. */
  async incidentSize(tag: string): Promise<number> {
    let count = 0;
    let after: InboxCursor | null = null;
    do {
      const page: InboxPage = await call('inbox', { view: 'all', channel: null, status: null, tag, limit: 500, sort: 'recent', after });
      count += page.rows.filter((r) => r.status !== 'solved').length;
      after = page.next;
    } while (after);
    return count;
  }
}

export const openThread = new OpenThread();
