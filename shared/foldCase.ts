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
 * `text` with case folded, for any script: "ÉCOLE" and "école", "STRASSE" and "straße", "ΣΟΦΟΣ" and "σοφος" fold
 * alike. Each character folds on its own (the context-dependent final sigma folds like any sigma), so a piece of
 * a text folds to a piece of the folded text: a search folds both and looks for one in the other. Lowercase first,
 * as that is fast on the long texts searched, and then only the few characters whose lowercase is not their folding.
 * Unicode's compatibility normalisation (NFKC) comes first: an "é" typed as one character finds one written as "e"
 * and a combining accent (as macOS and some keyboards write it), and full-width "ＡＢＣ" finds "ABC".
 */
export function foldCase(text: string): string {
    return text
        .normalize("NFKC")
        .toLowerCase()
        .replace(unfolded(), (char) => char.toUpperCase().toLowerCase());
}
