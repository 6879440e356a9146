// UI strings in English and Korean. The language follows the OS locale until the user picks one.

export type Lang = 'en' | 'ko';

const strings = {
  en: {
    tagline: 'Every customer conversation, one inbox.',
    storeState: 'Store',
    unlocked: 'Unlocked',
    locked: 'Locked',
    missing: 'Not created yet',
    error: 'Cannot be opened',
    conversations: 'Conversations',
    messages: 'Messages',
    loading: 'Loading…',
    language: 'Language',
  },
  ko: {
    tagline: '모든 고객 대화를 하나의 받은편지함에서.',
    storeState: '저장소',
    unlocked: '잠금 해제됨',
    locked: '잠김',
    missing: '아직 생성되지 않음',
    error: '열 수 없음',
    conversations: '대화',
    messages: '메시지',
    loading: '불러오는 중…',
    language: '언어',
  },
} as const;

export type Key = keyof (typeof strings)['en'];

export function pickLang(locales: readonly string[]): Lang {
  for (const l of locales) {
    const base = l.toLowerCase().split(/[-_]/)[0];
    if (base === 'ko') return 'ko';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export function t(lang: Lang, key: Key): string {
  return strings[lang][key];
}

export function formatCount(lang: Lang, n: number): string {
  return new Intl.NumberFormat(lang === 'ko' ? 'ko-KR' : 'en-US').format(n);
}
