// The supervisor's board, read again while it shows: when messages, replies or breaches change
// it, and as the clocks run.
import { call } from '../api';
import { messageOf } from '../errors';
import type { Board } from '../generated/Board';
import type { Heard } from '../platform';

/** A burst of events (an initial sync) reads the board once. */
const SETTLE_MS = 300;

export class BoardStore {
  board: Board | null = $state(null);
  error: string | null = $state(null);
  /** Only a board on screen is read. */
  shown = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  async load() {
    try {
      this.board = await call('board', {});
      this.error = null;
    } catch (e) {
      this.error = messageOf(e);
    }
  }

  show(shown: boolean) {
    this.shown = shown;
    if (shown) void this.load();
  }

  heard(event: Heard) {
    if (!this.shown) return;
    if (['messages', 'conversations', 'reply', 'breach', 'lagged'].includes(event.event) && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.load();
      }, SETTLE_MS);
    }
  }
}

export const board = new BoardStore();
