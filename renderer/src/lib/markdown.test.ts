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
});
