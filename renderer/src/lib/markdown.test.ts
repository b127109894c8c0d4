import {describe, expect, it} from "vitest";
import {renderMarkdown, renderMarkdownBlocks} from "./markdown.js";

// DOMPurify does not walk happy-dom's trees faithfully, so sanitizing (scripts, handlers,
// javascript: links, link targets) is checked in a real Chromium by e2e/markdown.spec.ts.
describe("renderMarkdown", () => {
    it("renders markdown and code blocks", () => {
        const html = renderMarkdown("**bold** and `x`\n\n```js\nconst a = 1;\n```");
        expect(html).toContain("<strong>bold</strong>");
        expect(html).toContain("<code>x</code>");
        expect(html).toMatch(
            /<pre><code class="hljs language-js"><span class="hljs-keyword">const<\/span> a = <span class="hljs-number">1<\/span>;\n<\/code><\/pre>/
        );
    });

    it("shows raw HTML as the text the model wrote, keeping formatting tags (a line break in a cell, sub- and superscripts)", () => {
        const html = renderMarkdown(
            "Wrap it in a <div> and H<sub>2</sub>O.\n\n| a | b |\n|---|---|\n| 1<br>2 | x |\n\n<table>\n<tr><td>raw</td></tr>\n</table>"
        );
        expect(html).toContain("Wrap it in a &lt;div&gt; and H<sub>2</sub>O.");
        expect(html).toMatch(/<td>1<br>2<\/td>/);
        expect(html).toContain('<p class="raw-html" dir="auto">&lt;table&gt;\n&lt;tr&gt;&lt;td&gt;raw&lt;/td&gt;&lt;/tr&gt;\n&lt;/table&gt;</p>');
        expect(html).not.toContain("<table>\n<tr>");
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

describe("renderMarkdown: code colours and formulas", () => {
    const rendered = (text: string): HTMLElement => {
        const answer = document.createElement("div");
        // (Text first: DOMPurify under happy-dom drops a leading block; e2e/markdown.spec.ts checks Chromium.)
        answer.innerHTML = renderMarkdown(`Answer:\n\n${text}`);
        return answer;
    };

    it("colours a block in a language it knows, by name or alias, and leaves the code's text as it was", () => {
        const code = rendered("```py\ndef f(x): return 'a<b>'  # done\n```").querySelector("pre code")!;
        expect(code.className).toBe("hljs language-py");
        expect([...code.querySelectorAll("span")].map((s) => [s.className, s.textContent])).toEqual(
            expect.arrayContaining([
                ["hljs-keyword", "def"],
                ["hljs-string", "'a<b>'"],
                ["hljs-comment", "# done"]
            ])
        );
        expect(code.textContent).toBe("def f(x): return 'a<b>'  # done\n");
    });

    it("leaves a block in an unknown or unnamed language uncoloured", () => {
        for (const fence of ["```klingon", "```"]) {
            const code = rendered(`${fence}\nlet a = 1\n\`\`\``).querySelector("pre code")!;
            expect(code.querySelector("span")).toBeNull();
            expect(code.textContent).toBe("let a = 1\n");
        }
    });

    it("renders TeX between $…$, \\(…\\), \\[…\\] and $$…$$ as MathML, inline and on lines of their own", () => {
        const answer = rendered("Euler: $e^{i\\pi}+1=0$ and \\(x^2\\).\n\n$$\n\\frac{a}{b}\n$$\n\nthen \\[\\sum_i i\\]");
        const formulas = [...answer.querySelectorAll("math")];
        expect(formulas.map((m) => [m.getAttribute("display"), m.textContent])).toEqual([
            [null, "eiπ+1=0"],
            [null, "x2"],
            ["block", "ab"],
            ["block", "∑ii"]
        ]);
        expect(answer.querySelector("mfrac")).not.toBeNull();
        // The TeX source is not shown a second time beside the formula.
        expect(answer.textContent).not.toContain("frac");
    });

    it("keeps prices, code and unfinished formulas as text", () => {
        const answer = rendered("It costs $5 and $10, or $5-$10 a day. `$x$` and $$\\frac{a}{b}");
        expect(answer.querySelector("math")).toBeNull();
        expect(answer.textContent).toContain("It costs $5 and $10, or $5-$10 a day. $x$ and $$\\frac{a}{b}");
    });

    it("finds a formula at the start of a later line, and colours a code block being written once it is closed (or the answer ends)", () => {
        expect(rendered("a\n$x^2$ b").querySelector("math")?.textContent).toBe("x2");
        expect(rendered("a\n\n$$\nx\n$$").querySelector('math[display="block"]')).not.toBeNull();
        const open = "Code:\n\n```py\ndef f(): pass";
        const writing = document.createElement("div");
        writing.innerHTML = renderMarkdown(open, {caret: true});
        expect(writing.querySelector('pre code span[class^="hljs"]')).toBeNull();
        expect(rendered(`${open}\n\`\`\``).querySelector("pre code span.hljs-keyword")?.textContent).toBe("def");
        // An answer that ended with its block open (stopped, or cut at the max tokens) is coloured all the same.
        expect(rendered(open).querySelector("pre code span.hljs-keyword")?.textContent).toBe("def");
    });

    it("shows a formula nested past what KaTeX can hold as its source, and an answer it cannot render as its text", () => {
        const deep = `$${"{".repeat(20_000)}x${"}".repeat(20_000)}$`;
        const answer = rendered(deep);
        expect(answer.querySelector("math")).toBeNull();
        expect(answer.textContent).toContain("{{{x}}}");
    });

    it("shows a formula it cannot read as its source, and never a link out of one", () => {
        const broken = rendered("bad $\\frac{a$ ok").querySelector(".katex-error")!;
        expect(broken.textContent).toBe("\\frac{a");
        const link = rendered("$\\href{javascript:alert(1)}{x}$");
        expect(link.querySelector("[href]")).toBeNull();
    });
});

describe("renderMarkdownBlocks", () => {
    it("gives each top-level block its own HTML, the same string for a block done however the answer grows", () => {
        const start = "One paragraph.\n\n```py\nx = 1\n```\n\nThe third";
        const before = renderMarkdownBlocks(start, {caret: true});
        const after = renderMarkdownBlocks(`${start} grows, and a fourth:\n\n- item`, {caret: true});
        expect(before).toHaveLength(3);
        expect(after).toHaveLength(4);
        // The blocks done are the same strings (the page leaves their elements, and what is selected in them, alone).
        expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
        expect(after[2]).not.toEqual(before[2]);
        // The caret is in the block being written only.
        expect(after.map((html) => html.includes('class="caret"'))).toEqual([false, false, false, true]);
        expect(renderMarkdownBlocks(start).join("")).toBe(renderMarkdown(start));
    });

    it("renders every prefix of a streamed answer as it renders that text on its own (the blocks done are lexed once)", () => {
        const answer = [
            "Intro line\nSetext heading\n===",
            "- item one\n\n- item two, loose\n  continued\n\n- item three",
            "    indented code\n\n    more of it",
            "> quoted\nlazy line",
            "| a | b |\n|---|---|\n| 1 | 2 |",
            "$$\nx = -1\n$$",
            "<div>\nraw html\n</div>",
            "```js\nconst open = 1;\n\nstill code",
            "```\n\n# Heading\n\nlast paragraph"
        ].join("\n\n");
        for (const step of [1, 7, 23]) {
            for (let end = 1; end <= answer.length; end += step) {
                const streamed = renderMarkdownBlocks(answer.slice(0, end), {caret: true});
                renderMarkdownBlocks("\u0001"); // another text: the next one is lexed whole
                expect(streamed, `${step}: ${JSON.stringify(answer.slice(0, end))}`).toEqual(renderMarkdownBlocks(answer.slice(0, end), {caret: true}));
            }
        }
        // Text added later that reaches back over more than two blocks: a formula closed at last, a setext underline
        // under lines read as several blocks.
        for (const [before, more] of [
            ["$$\na\n\nb\n\nc\n", "$$"],
            ["a\n$$\nx\n$$\nb\n$$\ny\n$$\nc", "\n="],
            ["intro\n\none\n$$\nx\n$$\ntwo\n$$\ny\n$$\nthree", "\n---"]
        ]) {
            renderMarkdownBlocks("\u0001");
            renderMarkdownBlocks(before!);
            const streamed = renderMarkdownBlocks(before! + more!);
            renderMarkdownBlocks("\u0001");
            expect(streamed, JSON.stringify(before! + more!)).toEqual(renderMarkdownBlocks(before! + more!));
        }
        // A link definition written later applies to the blocks before it.
        renderMarkdownBlocks("See [the docs][d].\n\nMore.\n\nAnd more.\n\n");
        expect(renderMarkdownBlocks("See [the docs][d].\n\nMore.\n\nAnd more.\n\n[d]: https://example.com/d")[0]).toContain('href="https://example.com/d"');
    });

    it("resolves a reference-style link defined in another block", () => {
        const blocks = renderMarkdownBlocks("See [the docs][d].\n\n[d]: https://example.com/docs");
        expect(blocks.join("")).toContain('href="https://example.com/docs"');
    });
});
