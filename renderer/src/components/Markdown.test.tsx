import {cleanup, render} from "@testing-library/react";
import {afterEach, describe, expect, it} from "vitest";
import {Markdown} from "./Markdown.js";

describe("Markdown", () => {
    afterEach(cleanup);

    it("draws only the block being written as an answer grows: the blocks done keep their elements (and a selection in them)", () => {
        const start = "The first paragraph, done.\n\n```py\nx = 1\n```\n\nThe third";
        const {container, rerender} = render(<Markdown text={start} caret />);
        const first = container.querySelector(".markdown-block p")!;
        const copy = container.querySelector("button.code-copy")!;
        copy.textContent = "Copied";
        rerender(<Markdown text={`${start} grows`} caret />);
        rerender(<Markdown text={`${start} grows more.\n\nA fourth`} caret />);
        expect(container.querySelector(".markdown-block p")).toBe(first);
        expect(container.querySelector("button.code-copy")).toBe(copy);
        expect(copy.textContent).toBe("Copied");
        expect(container.querySelectorAll(".markdown-block")).toHaveLength(4);
        expect(container.querySelector(".caret")?.closest(".markdown-block")).toBe(container.querySelectorAll(".markdown-block")[3]);
    });
});
