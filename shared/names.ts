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

/** A profile's name (what a chat request sends as `user`): no slashes, as it is part of scope names. */
export const profileNamePattern = namePattern("/\\\\");

/** An issued key's name, or a group a key is put in. */
export const keyNamePattern = /^[\w.@-]{1,64}$/;

/** A conversation's or a message's id, as the renderer makes them. */
export const idPattern = /^[\w.:-]{1,80}$/;

/**
 * Names no profile, group or issued key may take: those of unauthenticated requests, the app's own
 * key and the shared-prefix scope (a profile "anonymous" in a group would pull every anonymous request
 * into that group), and names a plain object map would take for its prototype.
 */
const reservedNames = new Set(["anonymous", "admin", "shared", "__proto__", "constructor", "prototype", "hasownproperty", "tostring", "valueof"]);

/** Case-insensitive: "Anonymous" is as misleading as "anonymous". */
export function isReservedName(name: string): boolean {
    return reservedNames.has(name.trim().toLowerCase());
}
