// A message's text cut into what is shown and what is folded (quoted history, signatures).
import type { Fold } from './generated/Fold';

export interface Segment {
  text: string;
  fold: Fold['kind'] | null;
}

/** `folds` are byte ranges of the UTF-8 text, as the core marks them. */
export function segments(text: string, folds: Fold[]): Segment[] {
  if (!folds.length) return [{ text, fold: null }];
  const bytes = new TextEncoder().encode(text);
  const decode = (a: number, b: number) => new TextDecoder().decode(bytes.slice(a, b));
  const out: Segment[] = [];
  let at = 0;
  for (const f of [...folds].sort((a, b) => a.start - b.start)) {
    if (f.start < at || f.end > bytes.length) continue;
    if (f.start > at) out.push({ text: decode(at, f.start), fold: null });
    out.push({ text: decode(f.start, f.end), fold: f.kind });
    at = f.end;
  }
  if (at < bytes.length) out.push({ text: decode(at, bytes.length), fold: null });
  return out.filter((s) => s.text.length > 0);
}
