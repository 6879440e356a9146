// Keyboard shortcuts: which action a key press asks for. Typing in a field is never a shortcut,
// except Ctrl+Enter (send) and Escape (leave the field).

export type Action = 'next' | 'previous' | 'reply' | 'solve' | 'search' | 'help' | 'palette' | 'send' | 'escape';

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** Whether the focus is in a text field. */
  inField: boolean;
}

export function actionFor(k: KeyPress): Action | null {
  const mod = k.ctrlKey || k.metaKey;
  if (k.key === 'Escape') return 'escape';
  if (mod && k.key === 'Enter') return 'send';
  if (mod && (k.key === 'k' || k.key === 'K')) return 'palette';
  if (k.inField || mod || k.altKey) return null;
  switch (k.key) {
    case 'j':
    case 'ArrowDown':
      return 'next';
    case 'k':
    case 'ArrowUp':
      return 'previous';
    case 'r':
      return 'reply';
    case 'e':
      return 'solve';
    case '/':
      return 'search';
    case '?':
      return 'help';
    default:
      return null;
  }
}

/** Every shortcut, for the help overlay: keys and the i18n key of what they do. */
export const SHORTCUTS = [
  ['j / ↓', 'keyNext'],
  ['k / ↑', 'keyPrevious'],
  ['r', 'keyReply'],
  ['e', 'keySolve'],
  ['/', 'keySearch'],
  ['?', 'keyHelp'],
  ['Ctrl+K', 'keyPalette'],
  ['Ctrl+Enter', 'keySend'],
  ['Esc', 'keyEscape'],
] as const;
