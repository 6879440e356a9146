import type { OAuth1Keys } from './generated/OAuth1Keys';

export function blankPhotoKeys(): OAuth1Keys {
  return { consumer_key: '', consumer_secret: '', access_token: '', access_token_secret: '' };
}

/** Whether the agent filled in any of the keys: then all four go to be checked, so a missing one is said. */
export function photoKeysGiven(keys: OAuth1Keys): boolean {
  return Object.values(keys).some((v) => v.trim() !== '');
}
