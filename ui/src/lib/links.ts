// Customer text with its web links found: links are shown as links and open in the system
// browser on click; everything else stays text. Only http(s) links: a `javascript:` or `data:`
// "link" is just text.

export interface Piece {
  text: string;
  href: string | null;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
// Closing punctuation that ends a sentence rather than the link.
const TRAILING = /[.,;:!?)\]}]+$/;

export function linkify(text: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const m of text.matchAll(URL_RE)) {
    const raw = m[0];
    const link = raw.replace(TRAILING, '');
    const start = m.index ?? 0;
    if (start > at) out.push({ text: text.slice(at, start), href: null });
    let href: string | null = null;
    try {
      const u = new URL(link);
      if (u.protocol === 'http:' || u.protocol === 'https:') href = u.href;
    } catch {
      href = null;
    }
    out.push({ text: link, href });
    at = start + link.length;
  }
  if (at < text.length) out.push({ text: text.slice(at), href: null });
  return out;
}
