// Which rows of a long list to render: those in view, plus a few either side so fast scrolling
// does not show blanks. Rows have one fixed height.

export interface Span {
  start: number;
  end: number;
}

export function visibleRows(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan = 8): Span {
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const shown = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  return { start: Math.max(0, first - overscan), end: Math.min(count, first + shown + overscan) };
}

/** The scroll position that brings row `index` into view, or null when it already is. */
export function scrollFor(index: number, scrollTop: number, viewport: number, rowHeight: number): number | null {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewport) return top + rowHeight - viewport;
  return null;
}
