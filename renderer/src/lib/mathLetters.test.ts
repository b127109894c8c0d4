import {describe, expect, it} from "vitest";
import {styledLetters, withStyledLetters} from "./mathLetters.js";

describe("styled math letters", () => {
    it("writes KaTeX's styled identifiers in Unicode's styled letters, the letters encoded earlier included", () => {
        expect(styledLetters("RNZ", "double-struck")).toBe("ℝℕℤ");
        expect(styledLetters("Ab1", "double-struck")).toBe("𝔸𝕓𝟙");
        expect(styledLetters("gH", "fraktur")).toBe("𝔤ℌ");
        expect(styledLetters("L", "script")).toBe("ℒ");
        expect(styledLetters("v", "bold")).toBe("𝐯");
        expect(styledLetters("x", "unknown-variant")).toBeNull();
        expect(withStyledLetters('<mrow><mi mathvariant="double-struck">R</mi><mi>x</mi><mn mathvariant="bold">2</mn></mrow>')).toBe(
            '<mrow><mi mathvariant="normal">ℝ</mi><mi>x</mi><mn mathvariant="normal">𝟐</mn></mrow>'
        );
        // Escaped text (an entity) and unknown variants are left as KaTeX wrote them.
        expect(withStyledLetters('<mi mathvariant="double-struck">&amp;</mi><mi mathvariant="odd">q</mi>')).toBe(
            '<mi mathvariant="double-struck">&amp;</mi><mi mathvariant="odd">q</mi>'
        );
    });
});
