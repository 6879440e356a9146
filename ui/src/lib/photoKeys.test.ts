import { describe, expect, it } from 'vitest';
import { blankPhotoKeys, photoKeysGiven } from './photoKeys';

describe('photoKeysGiven', () => {
  it('sends the keys once any is filled in, so a missing one is reported rather than dropped', () => {
    expect(photoKeysGiven(blankPhotoKeys())).toBe(false);
    expect(photoKeysGiven({ ...blankPhotoKeys(), consumer_key: '  ' })).toBe(false);
    expect(photoKeysGiven({ ...blankPhotoKeys(), access_token: '1-abc' })).toBe(true);
  });
});
