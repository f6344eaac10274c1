// The strength check behind a domain's `strong_mobile_passwords` setting
// (BEHAVIOR.md §4, [R2 §B.5]). HQ scores passwords with zxcvbn (score ≥ 2,
// at least 8 characters); the mock uses a deterministic approximation so a
// test knows in advance which passwords pass: at least 8 characters and at
// least 3 of the 4 kinds lower case, upper case, digit, symbol.

export const MIN_STRONG_LENGTH = 8
export const MIN_CHARACTER_KINDS = 3

export const WEAK_PASSWORD_MESSAGE = 'Password is not strong enough.'

/** How many of lower case, upper case, digit and symbol the password uses. */
export function characterKinds (password: string): number {
  let kinds = 0
  if (/\p{Ll}/u.test(password)) kinds++
  if (/\p{Lu}/u.test(password)) kinds++
  if (/\p{Nd}/u.test(password)) kinds++
  if (/[^\p{L}\p{Nd}]/u.test(password)) kinds++
  return kinds
}

/** The mock's approximation of HQ's password rules (length counted in characters, not UTF-16 units). */
export function isStrongPassword (password: string): boolean {
  return [...password].length >= MIN_STRONG_LENGTH && characterKinds(password) >= MIN_CHARACTER_KINDS
}
