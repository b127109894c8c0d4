/**
 * Names that decide whose cached prompts a request may reuse (users, profiles, groups) must not have
 * look-alikes: characters that print nothing or change how the text around them shows (controls, zero-width
 * spaces, bidi and other format characters, line and paragraph separators) are refused in them everywhere.
 * The zero-width joiner and non-joiner are letters' business (Persian names, emoji sequences): allowed.
 */
const invisibleCharacter = "(?![\\u200c\\u200d])[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]";

const invisible = new RegExp(invisibleCharacter, "u");

/** Whether `text` holds a character that prints nothing or disguises the text around it. */
export function hasInvisibleCharacters(text: string): boolean {
    return invisible.test(text);
}

/** A name of 1 to 64 characters without invisible ones (nor any of `alsoRefused`, a character class's body). */
export function namePattern(alsoRefused = ""): RegExp {
    const allowed = alsoRefused === "" ? "[^]" : `[^${alsoRefused}]`;
    return new RegExp(`^(?:(?!${invisibleCharacter})${allowed}){1,64}$`, "u");
}
