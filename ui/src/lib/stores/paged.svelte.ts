// A list read a page at a time by keyset (the inbox's rows, search hits): the first page afresh,
// dropping any answer for an earlier start, then the next page on demand.
import { messageOf } from '../errors';

export interface Page<T, C> {
  items: T[];
  next: C | null;
}

export class Paged<T, C> {
  items: T[] = $state([]);
  /** Where the next page starts (none: everything is shown). */
  next: C | null = $state(null);
  loading = $state(false);
  error: string | null = $state(null);
  /** Bumped on every start afresh: an answer for an earlier one is dropped. */
  generation = 0;

  constructor(
    /** The page after `after` (none: the first). */
    private read: (after: C | null) => Promise<Page<T, C>>,
    /** What tells two items apart: a page may repeat one the list holds already. */
    private key: (item: T) => unknown,
  ) {}

  /** Reads the first page; true once it is shown (false when it failed, or a later start overtook it). */
  async start(): Promise<boolean> {
    const generation = ++this.generation;
    this.loading = true;
    try {
      const page = await this.read(null);
      if (generation !== this.generation) return false;
      this.items = page.items;
      this.next = page.next;
      this.error = null;
      return true;
    } catch (e) {
      if (generation === this.generation) this.error = messageOf(e);
      return false;
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /** Empties the list; an answer on its way is dropped. */
  clear() {
    ++this.generation;
    this.items = [];
    this.next = null;
    this.loading = false;
  }

  /** Reads the next page, if there is one, after what is shown. */
  async more() {
    if (this.next === null || this.loading) return;
    const generation = this.generation;
    this.loading = true;
    try {
      const page = await this.read(this.next);
      if (generation !== this.generation) return;
      const shown = new Set(this.items.map(this.key));
      this.items.push(...page.items.filter((item) => !shown.has(this.key(item))));
      this.next = page.next;
    } catch (e) {
      if (generation === this.generation) this.error = messageOf(e);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }
}
