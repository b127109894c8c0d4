import {useMemo, type MouseEvent} from "react";
import {copyText} from "../lib/clipboard.js";
import {renderMarkdownBlocks} from "../lib/markdown.js";

/**
 * A code block's Copy button (see renderMarkdown): copies the block's code as written (without the line break that
 * ends every block's text) and says so for a moment.
 */
function copyCodeBlock(event: MouseEvent<HTMLDivElement>): void {
    const button = (event.target as Element).closest<HTMLButtonElement>("button.code-copy");
    const code = button?.closest(".code-block")?.querySelector("pre");
    if (!button || !code) return;
    void copyText(code.textContent.replace(/\n$/, "")).then((copied) => {
        if (!copied) return;
        // Its name follows its words: a screen reader hears "Copied" too.
        button.textContent = "Copied";
        button.setAttribute("aria-label", "Copied");
        setTimeout(() => {
            button.textContent = "Copy";
            button.setAttribute("aria-label", "Copy code");
        }, 1200);
    });
}

/**
 * An answer's text as markdown; `caret` while it is written (a blinking caret after its last word). Each top-level
 * block is an element of its own whose HTML stays the same once the block is done: as the answer grows only its last
 * block is drawn again, so drawing costs the same at its end as at its start, and a selection, a focused Copy button
 * or its "Copied" in an earlier block stays.
 */
export function Markdown({text, caret = false}: {text: string; caret?: boolean}) {
    const blocks = useMemo(() => renderMarkdownBlocks(text, {caret}), [text, caret]);
    return (
        <div className="markdown" onClick={copyCodeBlock}>
            {blocks.map((html, i) => (
                <div key={i} className="markdown-block" dangerouslySetInnerHTML={{__html: html}} />
            ))}
        </div>
    );
}
