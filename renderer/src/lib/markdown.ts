import DOMPurify from "dompurify";
import {Marked, type Token, type TokensList} from "marked";
import {codeHighlighting} from "./markdownCode.js";
import {rawHtmlAsText} from "./markdownHtml.js";
import {mathExtensions} from "./markdownMath.js";
import {forgetRecentResults, recentResults} from "./recentResults.js";

/** The parser while an answer is written (its last code block coloured once closed), and once it is done. */
const parsers = {
    streaming: new Marked({gfm: true, breaks: true, async: false}, {extensions: mathExtensions, renderer: {...codeHighlighting(true), ...rawHtmlAsText}}),
    done: new Marked({gfm: true, breaks: true, async: false}, {extensions: mathExtensions, renderer: {...codeHighlighting(false), ...rawHtmlAsText}})
};

let hooked = false;

function ensureHooks(): void {
    if (hooked) return;
    hooked = true;
    // The only inputs kept are task lists' checkboxes ("- [x] done"), which record a state: never a field.
    DOMPurify.addHook("uponSanitizeElement", (node, data) => {
        if (data.tagName === "input" && node instanceof Element && node.getAttribute("type")?.toLowerCase() !== "checkbox") node.remove();
    });
    // MathML is let through for the formulas (a model's own <math> is shown as its text: see rawHtmlAsText): a link
    // there (href on any MathML element, which some browsers follow) would open a page in the app's place. Links are
    // <a>'s alone.
    DOMPurify.addHook("uponSanitizeAttribute", (node, data) => {
        if ((data.attrName === "href" || data.attrName === "xlink:href") && node.nodeName.toLowerCase() !== "a") data.keepAttr = false;
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

/**
 * Wraps each code block with a bar above the code: its language (where the block names one) and a Copy button
 * (its clicks are handled by the Markdown component). The bar keeps the button off the code's first line.
 */
function addCodeCopyButtons(root: DocumentFragment): void {
    for (const pre of [...root.querySelectorAll("pre")]) {
        const block = document.createElement("div");
        block.className = "code-block";
        const bar = document.createElement("div");
        bar.className = "code-bar";
        const language = document.createElement("span");
        language.className = "code-language";
        language.textContent = /\blanguage-(\S+)/.exec(pre.querySelector("code")?.className ?? "")?.[1] ?? "";
        const button = document.createElement("button");
        button.type = "button";
        button.className = "code-copy";
        button.setAttribute("aria-label", "Copy code");
        button.textContent = "Copy";
        bar.append(language, button);
        pre.replaceWith(block);
        block.append(bar, pre);
    }
}

/**
 * Puts each table in a box of its own that scrolls sideways: a wide table keeps its words and numbers whole
 * and scrolls within the answer instead of widening it. The box takes the keyboard focus (arrow keys scroll
 * it) and is named after the table's columns.
 */
function wrapTables(root: DocumentFragment): void {
    for (const table of [...root.querySelectorAll("table")]) {
        const box = document.createElement("div");
        box.className = "table-scroll";
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        const columns = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim()).filter((name) => name !== "");
        const named = columns.join(", ");
        box.setAttribute("aria-label", columns.length === 0 ? "Table" : `Table: ${named.length > 80 ? `${named.slice(0, 79)}…` : named}`);
        table.replaceWith(box);
        box.append(table);
    }
}

/**
 * Each top-level block (paragraph, heading, list, quote, table) takes its direction from its own text
 * (dir="auto"): Hebrew or Arabic runs right to left, beside English that runs left to right. Code stays left
 * to right. Nested blocks follow their top-level block (an element with dir of its own would not count towards
 * its parent's "auto" direction).
 */
function setTextDirections(root: DocumentFragment): void {
    for (const block of [...root.children])
        if (block.matches("p, h1, h2, h3, h4, h5, h6, ul, ol, blockquote, .table-scroll, dl")) block.setAttribute("dir", "auto");
}

/** Elements the streaming caret goes into when last: it ends up after the last word, not on a line of its own. */
const CARET_HOSTS = new Set([
    "P",
    "H1",
    "H2",
    "H3",
    "H4",
    "H5",
    "H6",
    "UL",
    "OL",
    "LI",
    "BLOCKQUOTE",
    "DIV",
    "PRE",
    "CODE",
    "TABLE",
    "TBODY",
    "TR",
    "TD",
    "TH",
    "DL",
    "DD"
]);

/** The last node that shows something (model output often ends in a line break or spaces). */
function lastShown(node: Node): Node | null {
    let last = node.lastChild;
    while (last !== null && last.nodeType === Node.TEXT_NODE && (last.textContent ?? "").trim() === "") last = last.previousSibling;
    return last;
}

/** Appends the blinking caret of an answer being written at the end of its deepest last block. */
function appendCaret(root: HTMLElement): void {
    let host: Element = root;
    for (;;) {
        const last = lastShown(host);
        if (!(last instanceof Element) || !CARET_HOSTS.has(last.tagName)) break;
        host = last;
    }
    const caret = document.createElement("span");
    caret.className = "caret";
    caret.setAttribute("aria-hidden", "true");
    host.append(caret);
}

export interface MarkdownOptions {
    /** The answer is being written: a blinking caret after its last word. */
    caret?: boolean;
}

/**
 * Markdown to sanitized HTML (model output is untrusted): code blocks coloured by language with a Copy button,
 * TeX as MathML, tables that scroll sideways, each block in its own text direction.
 */
export function renderMarkdown(text: string, options: MarkdownOptions = {}): string {
    return renderMarkdownBlocks(text, options).join("");
}

/**
 * The answer's top-level blocks (paragraphs, lists, code blocks, tables…), each as sanitized HTML (see
 * renderMarkdown). While an answer is written only its last block changes: the others keep their HTML string, so the
 * page leaves their elements alone (what is selected or focused in them stays) and draws only the last one again,
 * whatever the answer's length.
 */
export function renderMarkdownBlocks(text: string, {caret = false}: MarkdownOptions = {}): string[] {
    try {
        const tokens = lexBlocks(text);
        const blocks = tokens.filter((token) => token.type !== "space");
        // Reference-style links are defined anywhere in the text: a block using one is parsed with them.
        const linked = Object.keys(tokens.links).length > 0;
        return blocks.map((token, i) => {
            // Only the last block can still be an open code block: the others are the same written or done (one key).
            const writing = caret && i === blocks.length - 1;
            return linked
                ? renderBlock(writing ? parsers.streaming : parsers.done, token, tokens.links, writing)
                : blockHtml(`${writing ? "w" : "d"}${token.raw}`);
        });
    } catch {
        // Whatever breaks the rendering (a formula nested deep enough to exhaust the stack, say) must not take the
        // window with it, nor come back with the chat on every reload: the answer is shown as its plain text.
        const shown = document.createElement("p");
        shown.className = "markdown-plain";
        shown.textContent = text;
        return [shown.outerHTML];
    }
}

/** Forgets what was rendered (the blocks, their code and formulas, the text lexed last): it is the chats' own text. */
export function forgetRenderedMarkdown(): void {
    forgetRecentResults();
    lastLexed = undefined;
}

/** The text lexed last and its tokens, whose sources make up the text (line breaks as the lexer writes them). */
let lastLexed: {text: string; tokens: TokensList} | undefined;

/**
 * The text's block tokens. While an answer streams, each frame's text is the last one's with more after it: the
 * blocks before the last two are final (text added after them can change only the block it continues, or the
 * paragraph before a heading's underline), so only the text from there is lexed again, and a long answer is not
 * lexed whole at every frame. Reference-style link definitions apply across the text: with any, all is lexed.
 */
function lexBlocks(text: string): TokensList {
    const last = lastLexed;
    if (last != null && text.startsWith(last.text) && Object.keys(last.tokens.links).length === 0) {
        const blocks = last.tokens.map((token, i) => ({token, i})).filter(({token}) => token.type !== "space");
        // From a block before the last two that follows a blank line: text added later can reach back over no blank line
        // (a setext underline makes a heading of the lines above it, however many blocks they were read as).
        let from: number | undefined;
        for (let k = blocks.length - 2; k >= 1 && from == null; k--) if (last.tokens[blocks[k]!.i - 1]?.type === "space") from = blocks[k]!.i;
        if (from != null) {
            const start = last.tokens.slice(0, from).reduce((length, token) => length + token.raw.length, 0);
            const tail = parsers.done.lexer(text.slice(start));
            if (Object.keys(tail.links).length === 0 && sourceOf(tail) === text.slice(start)) {
                const tokens = Object.assign([...last.tokens.slice(0, from), ...tail], {links: tail.links});
                lastLexed = {text, tokens};
                return tokens;
            }
        }
    }
    const tokens = parsers.done.lexer(text);
    // Kept only where the tokens' sources are the text itself (no line endings rewritten): the offsets above need it.
    lastLexed = sourceOf(tokens) === text ? {text, tokens} : undefined;
    return tokens;
}

const sourceOf = (tokens: readonly Token[]): string => tokens.reduce((joined, token) => joined + token.raw, "");

/**
 * A block's HTML by its source (after "w": the block being written, with the caret; "d": a block done), kept for
 * as many blocks as a very long answer holds: every block is looked up at every streamed frame, and a cache smaller
 * than the answer would miss them all, in turn.
 */
const blockHtml = recentResults((key) => {
    const writing = key.startsWith("w");
    const parser = writing ? parsers.streaming : parsers.done;
    const [token] = parser.lexer(key.slice(1));
    return token == null ? "" : renderBlock(parser, token, {}, writing);
}, 8192);

function renderBlock(parser: Marked, token: Token, links: TokensList["links"], caret: boolean): string {
    ensureHooks();
    // A line break first: each block is parsed on its own, and happy-dom's parser (the unit tests') drops a fragment's
    // leading element; browsers keep it either way, and the break is white space between blocks.
    const html = `\n${parser.parser(Object.assign([token], {links}))}`;
    const fragment = DOMPurify.sanitize(html, {
        USE_PROFILES: {html: true, mathMl: true},
        FORBID_TAGS: ["style", "form", "button", "iframe"],
        RETURN_DOM_FRAGMENT: true
    });
    addCodeCopyButtons(fragment);
    wrapTables(fragment);
    setTextDirections(fragment);
    const container = document.createElement("div");
    container.append(fragment);
    if (caret) appendCaret(container);
    return container.innerHTML;
}
