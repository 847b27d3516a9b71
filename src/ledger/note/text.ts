/** Text checks shared by the note modules (c2sp.org/signed-note "Format"). Inputs are attacker-controlled. */

/** True when `text` has no lone UTF-16 surrogate, i.e. encodes to UTF-8 without substitution. */
export function isWellFormed(text: string): boolean {
  return !/\p{Cs}/u.test(text);
}

/** True when `text` holds an ASCII control character (below U+0020), newline excepted if allowed. */
export function hasControl(text: string, allowNewline: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && !(allowNewline && c === 0x0a)) return true;
  }
  return false;
}
