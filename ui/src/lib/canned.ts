// The composer's "/" search over the canned-reply library, and how a typed "/query" is found.
import fuzzysort from 'fuzzysort';
import type { CannedReplyRecord } from './generated/CannedReplyRecord';

/** Replies matching `query` by shortcut or title, best first; all of them for an empty query. */
export function findCanned(replies: CannedReplyRecord[], query: string, limit = 8): CannedReplyRecord[] {
  const q = query.trim();
  if (!q) return replies.slice(0, limit);
  return fuzzysort.go(q, replies, { keys: ['shortcut', 'title'], limit, threshold: 0.2 }).map((r) => r.obj);
}

/** The "/query" being typed at the caret: a slash at the start of the text or after a space. */
export function slashQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)\/([^\s/]*)$/.exec(before);
  if (!match) return null;
  return { start: before.length - match[2].length - 1, query: match[2] };
}

/** `{{placeholder}}`s left in a text. */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)].map((m) => m[1]);
}
