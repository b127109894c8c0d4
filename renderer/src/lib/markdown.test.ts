import {describe, expect, it} from "vitest";
import {renderMarkdown} from "./markdown.js";

// DOMPurify does not walk happy-dom's trees faithfully, so sanitizing (scripts, handlers,
// javascript: links, link targets) is checked in a real Chromium by e2e/markdown.spec.ts.
describe("renderMarkdown", () => {
    it("renders markdown and code blocks", () => {
        const html = renderMarkdown("**bold** and `x`\n\n```js\nconst a = 1;\n```");
        expect(html).toContain("<strong>bold</strong>");
        expect(html).toContain("<code>x</code>");
        expect(html).toMatch(/<pre><code class="language-js">const a = 1;\n<\/code><\/pre>/);
    });

    it("keeps single line breaks of model output", () => {
        expect(renderMarkdown("one\ntwo")).toContain("one<br>two");
    });

    it("keeps task lists' checked state as disabled checkboxes", () => {
        const list = document.createElement("div");
        list.innerHTML = renderMarkdown("- [ ] to do\n- [x] done");
        const boxes = [...list.querySelectorAll("input")];
        expect(boxes.map((b) => [b.type, b.checked, b.disabled])).toEqual([
            ["checkbox", false, true],
            ["checkbox", true, true]
        ]);
    });

    it("gives each code block a Copy button", () => {
        const answer = document.createElement("div");
        // (Text first: DOMPurify under happy-dom drops a leading <pre>; e2e/markdown.spec.ts checks Chromium.)
        answer.innerHTML = renderMarkdown("Two blocks:\n\n```js\nconst a = 1;\n```\n\ntext\n\n```\nb\n```");
        const blocks = [...answer.querySelectorAll(".code-block")];
        expect(blocks.map((b) => [b.querySelector("button.code-copy")?.textContent, b.querySelector("pre")?.textContent])).toEqual([
            ["Copy", "const a = 1;\n"],
            ["Copy", "b\n"]
        ]);
    });
});

describe("renderMarkdown: layout", () => {
    const rendered = (text: string, caret = false): HTMLElement => {
        const answer = document.createElement("div");
        answer.innerHTML = renderMarkdown(text, {caret});
        return answer;
    };

    it("puts each table in a focusable box named after its columns, which scrolls sideways", () => {
        const box = rendered("Doses:\n\n| Name | Dose (mg) |\n|---|---:|\n| Amoxicillin | 250 |").querySelector(".table-scroll")!;
        expect(box.getAttribute("role")).toBe("region");
        expect(box.getAttribute("tabindex")).toBe("0");
        expect(box.getAttribute("aria-label")).toBe("Table: Name, Dose (mg)");
        expect(box.querySelector("td")?.textContent).toBe("Amoxicillin");
    });

    it("gives each top-level block its own text direction, and code none", () => {
        // (A paragraph first: DOMPurify under happy-dom drops a leading block; e2e/markdown.spec.ts checks Chromium.)
        const answer = rendered("Intro\n\nשלום עולם\n\n- one\n- two\n\n> quoted\n\n```\ncode\n```");
        const dir = (selector: string) => answer.querySelector(selector)?.getAttribute("dir");
        expect([dir("p:last-of-type"), dir("ul"), dir("blockquote"), dir("li"), dir("blockquote > p"), dir(".code-block")]).toEqual([
            "auto",
            "auto",
            "auto",
            null,
            null,
            null
        ]);
    });

    it("names a code block's language on the bar that holds its Copy button", () => {
        const bar = rendered("Code:\n\n```python\nx = 1\n```").querySelector(".code-block > .code-bar")!;
        expect([bar.querySelector(".code-language")?.textContent, bar.querySelector("button.code-copy")?.textContent]).toEqual(["python", "Copy"]);
    });

    it("puts the caret of an answer being written after its last word, in its deepest last block", () => {
        const caretParent = (text: string) => rendered(text, true).querySelector(".caret")!.parentElement!;
        expect(caretParent("One\n\nTwo **words**\n").tagName).toBe("P");
        expect(caretParent("One\n\nTwo **words**\n").textContent).toBe("Two words");
        expect(caretParent("- one\n- two").textContent).toBe("two");
        expect(caretParent("Code:\n\n```js\nlet a\n```").tagName).toBe("CODE");
        expect(rendered("Done").querySelector(".caret")).toBeNull();
    });
});
