import DOMPurify from "dompurify";
import {Marked} from "marked";

const marked = new Marked({gfm: true, breaks: true, async: false});

let hooked = false;

function ensureHooks(): void {
    if (hooked) return;
    hooked = true;
    // The only inputs kept are task lists' checkboxes ("- [x] done"), which record a state: never a field.
    DOMPurify.addHook("uponSanitizeElement", (node, data) => {
        if (data.tagName === "input" && node instanceof Element && node.getAttribute("type")?.toLowerCase() !== "checkbox") node.remove();
    });
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
        // Links open outside the app window and never get the opener.
        if (node.tagName === "A" && node.hasAttribute("href")) {
            node.setAttribute("target", "_blank");
            node.setAttribute("rel", "noopener noreferrer");
        }
        if (node.tagName === "INPUT") node.setAttribute("disabled", "");
    });
}

/** Wraps each code block with a Copy button (its clicks are handled by the Markdown component). */
function addCodeCopyButtons(root: DocumentFragment): void {
    for (const pre of [...root.querySelectorAll("pre")]) {
        const block = document.createElement("div");
        block.className = "code-block";
        const button = document.createElement("button");
        button.type = "button";
        button.className = "code-copy";
        button.setAttribute("aria-label", "Copy code");
        button.textContent = "Copy";
        pre.replaceWith(block);
        block.append(button, pre);
    }
}

/** Markdown to sanitized HTML (model output is untrusted), code blocks with a Copy button. */
export function renderMarkdown(text: string): string {
    ensureHooks();
    const html = marked.parse(text) as string;
    const fragment = DOMPurify.sanitize(html, {
        USE_PROFILES: {html: true},
        FORBID_TAGS: ["style", "form", "button", "iframe"],
        RETURN_DOM_FRAGMENT: true
    });
    addCodeCopyButtons(fragment);
    const container = document.createElement("div");
    container.append(fragment);
    return container.innerHTML;
}
