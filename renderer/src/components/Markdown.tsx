import {useMemo, type MouseEvent} from "react";
import {copyText} from "../lib/clipboard.js";
import {renderMarkdown} from "../lib/markdown.js";

/** A code block's Copy button (see renderMarkdown): copies the block's text and says so for a moment. */
function copyCodeBlock(event: MouseEvent<HTMLDivElement>): void {
    const button = (event.target as Element).closest<HTMLButtonElement>("button.code-copy");
    const code = button?.parentElement?.querySelector("pre");
    if (!button || !code) return;
    void copyText(code.textContent ?? "").then((copied) => {
        if (!copied) return;
        button.textContent = "Copied";
        setTimeout(() => (button.textContent = "Copy"), 1200);
    });
}

export function Markdown({text}: {text: string}) {
    const html = useMemo(() => renderMarkdown(text), [text]);
    return <div className="markdown" onClick={copyCodeBlock} dangerouslySetInnerHTML={{__html: html}} />;
}
