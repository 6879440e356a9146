// Team mode's small rules, kept apart from the components so that tests can hold them.
import type { MessageView } from './generated/MessageView';

/**
 * Who answered the customer since the agent opened the conversation (its messages up to
 * `seenUpTo` were on screen then): the authors of newer outgoing messages not the agent's own,
 * `''` for one sent from outside the app (the platform's own inbox). Once each, in order.
 */
export function colleagueReplies(messages: MessageView[], seenUpTo: number, me: string): string[] {
  const names: string[] = [];
  for (const m of messages) {
    if (m.id <= seenUpTo || m.direction !== 'out' || m.author_kind === 'bot') continue;
    // The agent's own reply, still in the outbox or sent (a colleague's counts from the moment
    // it is handed to the hub, before the platform has it).
    if (m.author_name === me) continue;
    const name = m.author_name ?? '';
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** The newest message id shown: what the agent has seen. */
export function newestId(messages: MessageView[]): number {
  return messages.reduce((max, m) => Math.max(max, m.id), 0);
}
