import { HangarError } from '../errors/hangar-error.js';

const adjectives = [
  'amber',
  'brave',
  'calm',
  'eager',
  'frosty',
  'gentle',
  'happy',
  'icy',
  'jolly',
  'keen',
  'lucid',
  'mighty',
  'nifty',
  'olive',
  'plucky',
  'quiet',
  'rapid',
  'shy',
  'tidy',
  'witty',
];
const nouns = [
  'apple',
  'bird',
  'cloud',
  'drum',
  'eagle',
  'fern',
  'grape',
  'hat',
  'island',
  'jelly',
  'kettle',
  'lamp',
  'moon',
  'nest',
  'owl',
  'pear',
  'river',
  'stone',
  'tiger',
  'wave',
];
const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A job name in Azure ML's style (`frosty_lamp_k2p8x1q4wz`); `random` returns [0, 1). */
export function generateJobName(random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length) % list.length] as T;
  let suffix = '';
  for (let i = 0; i < 10; i++) suffix += pick(alphabet.split(''));
  return `${pick(adjectives)}_${pick(nouns)}_${suffix}`;
}

/** Job names: 1–255 letters, digits, `_` or `-`, starting with a letter or digit. */
export function validateJobName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/.test(name)) {
    throw new HangarError(
      'InvalidName',
      `Job name '${name}' must be 1–255 characters of letters, digits, '_' or '-', starting with a letter or digit.`,
      'name',
    );
  }
}
