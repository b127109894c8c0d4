import {describe, expect, it} from "vitest";
import {texToMathMl} from "./markdownMath.js";

/** The signs of a formula in order, each as "unary" (set close to what it signs) or "binary" (spaced as an operation). */
function signs(tex: string): string[] {
    return [...texToMathMl(tex, false).matchAll(/<mo\b([^>]*)>([−+±∓])<\/mo>/g)].map(
        ([, attributes, sign]) => `${sign} ${attributes!.includes('lspace="0em"') ? "unary" : "binary"}`
    );
}

describe("TeX to MathML", () => {
    it("sets a sign after an operator or an opening bracket close to what it signs, and leaves subtraction spaced", () => {
        expect(signs("x = -2")).toEqual(["− unary"]);
        expect(signs("a - b")).toEqual(["− binary"]);
        expect(signs("f(-1) = a - b")).toEqual(["− unary", "− binary"]);
        expect(signs("2 - -3")).toEqual(["− binary", "− unary"]);
        expect(signs("\\{-1, +1\\}")).toEqual(["− unary", "+ unary"]);
        expect(signs("a \\cdot (-b) \\pm c")).toEqual(["− unary", "± binary"]);
        // After an operand's end (a closing bracket, a factorial) it is an operation.
        expect(signs("(x) - 1 + n! - 1")).toEqual(["− binary", "+ binary", "− binary"]);
        // After an ellipsis or a norm's closing bars too.
        expect(signs("1 + 2 + \\cdots + n")).toEqual(["+ binary", "+ binary", "+ binary"]);
        expect(signs("\\|x\\| - 1")).toEqual(["− binary"]);
        // A sign that opens its row is the browser's own prefix form: left as KaTeX wrote it.
        expect(signs("-x + 3")).toEqual(["− binary", "+ binary"]);
        expect(texToMathMl("-x", false)).toMatch(/<mrow><mo>−<\/mo><mi>x<\/mi>/);
    });
});
