import {describe, expect, it} from "vitest";
import {parseDecimal} from "./decimal.js";

describe("parseDecimal", () => {
    it("reads decimal numbers only", () => {
        expect(parseDecimal(" 0.3 ")).toBe(0.3);
        expect(parseDecimal(".5")).toBe(0.5);
        expect(parseDecimal("-2")).toBe(-2);
        expect(parseDecimal("1e3")).toBe(1000);
        expect(parseDecimal("7.")).toBe(7);
        for (const text of ["0x1", "0b1", "0o7", "Infinity", "", "1,5", "1 000", "--1", "."]) expect(parseDecimal(text), text).toBeNaN();
    });
});
