import { DATA_USE_PATTERN } from '@custody/contracts';

/** The root of every data use STOP withdraws (fideslang's `marketing` branch). */
export const MARKETING = 'marketing';

export function isDataUse(value: string): boolean {
  return DATA_USE_PATTERN.test(value);
}

/**
 * A consent for a purpose with data use `granted` covers `requested` when it is the same data
 * use or one of its descendants (`marketing.advertising` covers
 * `marketing.advertising.first_party.targeted`, not the other way round).
 */
export function covers(granted: string, requested: string): boolean {
  return requested === granted || requested.startsWith(`${granted}.`);
}

export function isMarketing(dataUse: string): boolean {
  return covers(MARKETING, dataUse);
}
