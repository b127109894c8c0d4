import {describe, expect, it} from "vitest";
import {foldCase} from "./foldCase.js";

describe("foldCase", () => {
    it("folds any script's case, so that a piece of a text folds to a piece of the folded text", () => {
        const alike = [
            ["ÉCOLE", "école"],
            ["STRASSE", "straße"],
            ["ΣΟΦΟΣ ΦΙΛΟΣ", "σοφος φιλοσ"],
            ["ПРИВЕТ", "привет"],
            ["ﬁle", "FILE"],
            ["\u01c4EMAL", "\u01c5emal"],
            // Composed and decomposed accents, full-width letters.
            ["\u00c9cole", "e\u0301cole"],
            ["ＥＣＯＬＥ", "ecole"],
            // Accents and vowel marks a writer may leave out: as a browser's find in page, without them.
            ["canción", "CANCION"],
            ["عَاصِمَة", "عاصمة"],
            ["عاصـــمة", "عاصمة"],
            ["שָׁלוֹם", "שלום"],
            // Composed again where nothing was dropped: a Hangul syllable is one character.
            ["한국", "한국"]
        ];
        for (const [a, b] of alike) expect(foldCase(a!), `${a} ~ ${b}`).toBe(foldCase(b!));
        expect(foldCase("L'ÉCOLE de la Rue").includes(foldCase("école DE"))).toBe(true);
        expect(foldCase("한국어")).toBe("한국어");
        expect(foldCase("नमस्ते")).toBe("नमस्ते");
        // Nothing else changes: wildcards, digits, marks.
        expect(foldCase("100% Sure_of it!")).toBe("100% sure_of it!");
    });
});
