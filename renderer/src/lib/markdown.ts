import DOMPurify from "dompurify";
import {Marked} from "marked";

const marked = new Marked({gfm: true, breaks: true, async: false});

let hooked = false;

function ensureHooks(): void {
    if (hooked) return;
    hooked = true;
    // Links open outside the app window and never get the opener.
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
        if (node.tagName === "A" && node.hasAttribute("href")) {
            node.setAttribute("target", "_blank");
            node.setAttribute("rel", "noopener noreferrer");
        }
    });
}

/** Markdown to sanitized HTML (model output is untrusted). */
export function renderMarkdown(text: string): string {
    ensureHooks();
    const html = marked.parse(text) as string;
    return DOMPurify.sanitize(html, {USE_PROFILES: {html: true}, FORBID_TAGS: ["style", "form", "input", "button", "iframe"]});
}
