import katex from "katex";
import type {TokenizerAndRendererExtension, Tokens} from "marked";
import {withStyledLetters} from "./mathLetters.js";
import {recentResults} from "./recentResults.js";

/**
 * TeX to MathML (no fonts or style sheet to ship: the browser lays MathML out itself). KaTeX escapes what it
 * is given and, untrusted, keeps `\href` and friends out; a formula it cannot read is shown as its source in red.
 * Its `<semantics>`/`<annotation>` wrapper (the TeX source again, for copy and paste) is dropped: DOMPurify would
 * remove the wrapper but keep the annotation's text, which would show the source beside the formula.
 */
export function texToMathMl(tex: string, display: boolean): string {
    return mathMlOf(`${display ? "D" : "I"}${tex}`);
}

const mathMlOf = recentResults((key) => renderTex(key.slice(1), key.startsWith("D")));

function renderTex(tex: string, display: boolean): string {
    let html: string;
    try {
        html = katex.renderToString(tex, {
            displayMode: display,
            output: "mathml",
            throwOnError: false,
            strict: "ignore",
            trust: false,
            // A model's runaway macro or huge size must not stall the chat window.
            maxExpand: 500,
            maxSize: 20
        });
    } catch {
        // Beyond what KaTeX reports as a parse error (a formula nested deep enough to exhaust the stack): its source.
        const source = document.createElement("span");
        source.className = "katex-error";
        source.textContent = tex;
        return source.outerHTML;
    }
    return withStyledLetters(withUnarySigns(html.replace(/<annotation\b[^>]*>[\s\S]*?<\/annotation>/g, "").replace(/<\/?semantics>/g, "")));
}

/** What may end an operand: a sign after one of these is subtraction (or addition), after any other operator a sign of its own. */
const OPERAND_ENDS = new Set([")", "]", "}", "⟩", "⌉", "⌋", "|", "∣", "‖", "∥", "!", "′", "″", "⋯", "…", "⋮", "⋱"]);

/**
 * A minus or plus that follows an operator ("x = −2", "(−1)", "2 − −3") is a sign, set close to what it signs, as
 * TeX sets it. KaTeX's MathML leaves each an `<mo>` among others of one row, and a browser spaces such an operator
 * as a subtraction ("= − 2"); a sign that opens its row it already takes for one.
 */
function withUnarySigns(mathMl: string): string {
    return mathMl.replace(/(<mo\b[^>]*>([^<]*)<\/mo>)<mo>([−+±∓])<\/mo>/g, (whole, before: string, previous: string, sign: string) =>
        OPERAND_ENDS.has(previous) ? whole : `${before}<mo lspace="0em" rspace="0em">${sign}</mo>`
    );
}

interface MathToken extends Tokens.Generic {
    type: "math";
    raw: string;
    tex: string;
    display: boolean;
}

/**
 * Inline math: `\(…\)`, `\[…\]` and `$$…$$` (shown as a block), and `$…$` as pandoc reads it — the opening `$` is
 * followed by a non-space, the closing one follows a non-space and no digit follows it — so prices ("$5 and $10",
 * "$5-$10") stay text — and no backtick comes between (a price before a code span is not a formula).
 */
const INLINE_RULES: readonly {pattern: RegExp; display: boolean}[] = [
    {pattern: /^\$\$((?:\\[\s\S]|(?!\n[ \t]*\n)[^\\$])+?)\$\$/, display: true},
    {pattern: /^\\\[((?:(?!\n[ \t]*\n)[\s\S])+?)\\\]/, display: true},
    {pattern: /^\\\(((?:(?!\n[ \t]*\n)[\s\S])+?)\\\)/, display: false},
    {pattern: /^\$(?![\s$])((?:\\[\s\S]|[^\\$`])+?)(?<![\s\\])\$(?!\d)/, display: false}
];

/**
 * A formula on lines of its own: `$$` or `\[` opening a line, the closing one ending a line. None spans a blank line
 * (TeX ends a formula there): an unclosed `$$` stays text instead of taking in everything to the next one.
 */
const BLOCK_RULES: readonly RegExp[] = [
    /^ {0,3}\$\$((?:(?!\n[ \t]*\n)[\s\S])+?)\$\$[ \t]*(?:\n|$)/,
    /^ {0,3}\\\[((?:(?!\n[ \t]*\n)[\s\S])+?)\\\][ \t]*(?:\n|$)/
];

function mathToken(raw: string, tex: string, display: boolean): MathToken | undefined {
    return tex.trim() === "" ? undefined : {type: "math", raw, tex: tex.trim(), display};
}

const inlineMath: TokenizerAndRendererExtension = {
    name: "math",
    level: "inline",
    // Searched in the current line only: marked asks at every piece of text, and a search to the end of the answer each
    // time made rendering quadratic in its length (the text stops at a line's end anyway, as line breaks are kept).
    start: (src) => {
        const end = src.indexOf("\n");
        const at = (end < 0 ? src : src.slice(0, end + 1)).search(/\$|\\[([]/);
        return at < 0 ? undefined : at;
    },
    tokenizer(src) {
        for (const {pattern, display} of INLINE_RULES) {
            const match = pattern.exec(src);
            if (match) return mathToken(match[0], match[1] ?? "", display);
        }
        return undefined;
    },
    renderer: (token) => texToMathMl((token as MathToken).tex, (token as MathToken).display)
};

const blockMath: TokenizerAndRendererExtension = {
    name: "mathBlock",
    level: "block",
    // Searched in the current paragraph only (see the inline one): a formula after a blank line starts a block anyway.
    start: (src) => {
        const end = src.indexOf("\n\n");
        const at = (end < 0 ? src : src.slice(0, end + 1)).search(/^ {0,3}(?:\$\$|\\\[)/m);
        return at < 0 ? undefined : at;
    },
    tokenizer(src) {
        for (const pattern of BLOCK_RULES) {
            const match = pattern.exec(src);
            const token = match ? mathToken(match[0], match[1] ?? "", true) : undefined;
            if (token) return {...token, type: "mathBlock"};
        }
        return undefined;
    },
    renderer: (token) => `<p class="math-block">${texToMathMl((token as MathToken).tex, true)}</p>\n`
};

/** The marked extensions that render TeX in answers (see texToMathMl). */
export const mathExtensions: TokenizerAndRendererExtension[] = [blockMath, inlineMath];
