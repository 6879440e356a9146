import { describe, expect, it } from 'vitest';
import type { MessageView } from './generated/MessageView';
import { colleagueReplies, newestId } from './team';

function message(id: number, direction: 'in' | 'out', author_name: string | null, over: Partial<MessageView> = {}): MessageView {
  return {
    id, external_id: `m${id}`, channel: 'telegram', direction, author_kind: direction === 'in' ? 'customer' : 'agent', author_name, text: '', at: '2026-12-05T10:00:00Z',
    delivery: 'sent', attachments: [], ...over,
  } as MessageView;
}

describe('who replied since the agent opened the conversation', () => {
  const seen = [message(1, 'in', 'Lena'), message(2, 'out', 'Kim')];

  it('is nobody while only the customer writes or the agent answers', () => {
    expect(colleagueReplies([...seen, message(3, 'in', 'Lena'), message(4, 'out', 'Sam')], newestId(seen), 'Sam')).toEqual([]);
    expect(colleagueReplies([...seen, message(5, 'out', 'Sam', { external_id: 'local:k1', delivery: 'queued' })], 2, 'Sam')).toEqual([]);
    expect(colleagueReplies([...seen, message(5, 'out', 'Kim', { external_id: 'local:k2', delivery: 'queued' })], 2, 'Sam')).toEqual(['Kim']);
  });

  it('names each colleague once, and someone outside the app as blank', () => {
    const later = [...seen, message(3, 'out', 'Kim'), message(4, 'out', 'Kim'), message(5, 'out', null), message(6, 'out', 'Jiwoo')];
    expect(colleagueReplies(later, 2, 'Sam')).toEqual(['Kim', '', 'Jiwoo']);
  });

  it('leaves out what was on screen already, and the bots', () => {
    expect(colleagueReplies([...seen, message(3, 'out', 'Switchboard', { author_kind: 'bot' })], 2, 'Sam')).toEqual([]);
    expect(colleagueReplies(seen, 0, 'Sam')).toEqual(['Kim']);
  });
});
