// The team (team mode): where teammates are (online, away, offline), which conversation each has
// open and whether they are typing in it, as the hub says; and where this desk's person is, said
// to the hub every few seconds and on each change. Alone, it stays quiet.
import { call } from '../api';
import type { TeammatePresence } from '../generated/TeammatePresence';

/** Between two words with the hub (the hub counts a desk offline after 45 s of silence). */
const EVERY_MS = 3_000;
/** A keystroke says "typing" again at most this often. */
const TYPING_EVERY_MS = 2_000;
/** "Typing" ends this long after the last keystroke. */
const TYPING_FOR_MS = 5_000;

export class Team {
  people: TeammatePresence[] = $state([]);
  private conversation: number | null = null;
  private typedAt = 0;
  private saidTypingAt = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  /** Starts or stops talking with the hub as the desk joins or leaves a team. */
  setActive(active: boolean) {
    if (active && !this.timer) {
      this.timer = setInterval(() => void this.round(), EVERY_MS);
      void this.round();
    } else if (!active && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.people = [];
    }
  }

  /** The conversation open on this desk (none: the inbox). */
  viewing(conversation: number | null) {
    if (conversation === this.conversation) return;
    this.conversation = conversation;
    this.typedAt = 0;
    if (this.timer) void this.say();
  }

  /** A keystroke in the composer. */
  typing() {
    this.typedAt = Date.now();
    if (this.timer && this.typedAt - this.saidTypingAt > TYPING_EVERY_MS) {
      this.saidTypingAt = this.typedAt;
      void this.say();
    }
  }

  /** Teammates other than `me` with this conversation open, typing first. */
  in(conversation: number, me: string): TeammatePresence[] {
    return this.people
      .filter((p) => p.conversation === conversation && p.person !== me && p.state !== 'offline')
      .sort((a, b) => Number(b.typing) - Number(a.typing) || a.person.localeCompare(b.person));
  }

  private async say() {
    const typing = this.conversation !== null && Date.now() - this.typedAt < TYPING_FOR_MS;
    const away = typeof document !== 'undefined' && document.visibilityState === 'hidden';
    try {
      await call('set_presence', { conversation: this.conversation, typing, away });
    } catch {
      // The hub is out of reach: said again next round.
    }
  }

  private async round() {
    await this.say();
    try {
      this.people = await call('team_presence', {});
    } catch {
      // Kept as last heard until the hub answers again.
    }
  }
}

export const team = new Team();
