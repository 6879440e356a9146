import { describe, expect, it } from 'vitest';
import { segments } from './folds';

describe('segments', () => {
  it('cuts by byte offsets, whatever the script', () => {
    const text = '감사합니다\n> 원문\n-- \n민준';
    const quote = new TextEncoder().encode('감사합니다\n').length;
    const sig = new TextEncoder().encode('감사합니다\n> 원문\n').length;
    const all = new TextEncoder().encode(text).length;
    expect(
      segments(text, [
        { kind: 'quote', start: quote, end: sig },
        { kind: 'signature', start: sig, end: all },
      ]),
    ).toEqual([
      { text: '감사합니다\n', fold: null },
      { text: '> 원문\n', fold: 'quote' },
      { text: '-- \n민준', fold: 'signature' },
    ]);
  });
  it('ignores folds that do not fit the text', () => {
    expect(segments('hi', [{ kind: 'quote', start: 1, end: 99 }])).toEqual([{ text: 'hi', fold: null }]);
  });
});
