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
