/** Characters whose lowercase is not their case folding (ß is ss, a final ς is σ, ﬁ is fi…), found once, when first needed. */
let unfoldedPattern: RegExp | undefined;
function unfolded(): RegExp {
    if (unfoldedPattern == null) {
        // Every one is in the Basic Multilingual Plane: about 2 ms to find them all.
        const chars: string[] = [];
        for (let code = 0; code <= 0xffff; code++) {
            if (code >= 0xd800 && code <= 0xdfff) continue;
            const char = String.fromCharCode(code);
            if (char.toLowerCase() !== char.toUpperCase().toLowerCase()) chars.push(char);
        }
        unfoldedPattern = new RegExp(`[${chars.join("").replace(/[\\\]^-]/g, "\\$&")}]`, "gu");
    }
    return unfoldedPattern;
}

/**
 * Accents and vowel marks that readers write or leave out of the same word: Latin, Greek and Cyrillic combining
 * accents (once decomposed), Hebrew points, Arabic harakat and Quranic marks, and the Arabic tatweel (a stretch of
 * the line between letters).
 */
const OPTIONAL_MARKS =
    /[\u0300-\u036f\u0591-\u05bd\u05bf\u05c1-\u05c2\u05c4-\u05c5\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7-\u06e8\u06ea-\u06ed\u0640]/g;
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/**
 * `text` without the marks a word is written with or without (see OPTIONAL_MARKS): "canción" is "cancion", "عَاصِمَة"
 * is "عاصمة". Each character loses its own marks, so a piece of a text keeps being a piece of it; other scripts' vowel
 * signs, which spell the word, stay (composed again: a Hangul syllable is one character as before).
 */
export function withoutOptionalMarks(text: string): string {
    return ASCII_ONLY.test(text) ? text : text.normalize("NFD").replace(OPTIONAL_MARKS, "").normalize("NFC");
}

/**
 * `text` with case folded, for any script: "ÉCOLE" and "école", "STRASSE" and "straße", "ΣΟΦΟΣ" and "σοφος" fold
 * alike. Each character folds on its own (the context-dependent final sigma folds like any sigma), so a piece of
 * a text folds to a piece of the folded text: a search folds both and looks for one in the other. Lowercase first,
 * as that is fast on the long texts searched, and then only the few characters whose lowercase is not their folding.
 * Unicode's compatibility normalisation (NFKC) comes first: an "é" typed as one character finds one written as "e"
 * and a combining accent (as macOS and some keyboards write it), and full-width "ＡＢＣ" finds "ABC". Accents and
 * vowel marks go too (see withoutOptionalMarks), as a find in a browser's page ignores them: "cancion" finds "canción".
 */
export function foldCase(text: string): string {
    return withoutOptionalMarks(text.normalize("NFKC"))
        .toLowerCase()
        .replace(unfolded(), (char) => char.toUpperCase().toLowerCase());
}
