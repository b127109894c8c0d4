import {useMemo, type MouseEvent} from "react";
import {copyText} from "../lib/clipboard.js";
import {renderMarkdown} from "../lib/markdown.js";

/** A code block's Copy button (see renderMarkdown): copies the block's text and says so for a moment. */
function copyCodeBlock(event: MouseEvent<HTMLDivElement>): void {
    const button = (event.target as Element).closest<HTMLButtonElement>("button.code-copy");
    const code = button?.closest(".code-block")?.querySelector("pre");
    if (!button || !code) return;
    void copyText(code.textContent).then((copied) => {
        if (!copied) return;
        button.textContent = "Copied";
        setTimeout(() => (button.textContent = "Copy"), 1200);
    });
}

/** An answer's text as markdown; `caret` while it is written (a blinking caret after its last word). */
export function Markdown({text, caret = false}: {text: string; caret?: boolean}) {
    const html = useMemo(() => renderMarkdown(text, {caret}), [text, caret]);
    return <div className="markdown" onClick={copyCodeBlock} dangerouslySetInnerHTML={{__html: html}} />;
}
