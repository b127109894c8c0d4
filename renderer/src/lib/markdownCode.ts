import hljs from "highlight.js/lib/common";
import type {RendererObject, Tokens} from "marked";
import {recentResults} from "./recentResults.js";

/** The language a fenced block names (its info string's first word), if highlight.js knows it. */
function knownLanguage(info: string | undefined): string | undefined {
    const name = info?.trim().split(/\s+/)[0]?.toLowerCase();
    return name !== undefined && name !== "" && hljs.getLanguage(name) !== undefined ? name : undefined;
}

/** A fence closing a block (a block still being written has none yet). */
const closingFence = /\n {0,3}(`{3,}|~{3,})[ \t]*\n*$/;

/** A language's name, a newline, the code: one cache key. */
const highlighted = recentResults((key) => {
    const at = key.indexOf("\n");
    return hljs.highlight(key.slice(at + 1), {language: key.slice(0, at), ignoreIllegals: true}).value;
});

/**
 * Colours a fenced code block whose language highlight.js knows (its common set: about 40 languages and their
 * aliases); other blocks are left to marked. highlight.js escapes the code and adds only `<span class="hljs-…">`,
 * and the result still goes through the sanitizer. Blocks without a language are not guessed at: guessing runs
 * every grammar on every streamed token, and a guess can change colours as the block grows. While an answer is
 * written (`streaming`), a block not closed yet is coloured once it is: colouring it anew for every streamed token
 * would cost time that grows with the square of its length; an answer that ended with its block open is coloured.
 */
export function codeHighlighting(streaming: boolean): RendererObject {
    return {
        code({text, lang, raw}: Tokens.Code) {
            const language = knownLanguage(lang);
            if (language === undefined || (streaming && !closingFence.test(raw))) return false;
            const value = highlighted(`${language}\n${text}`);
            const name = (lang ?? "").trim().split(/\s+/)[0] ?? language;
            return `<pre><code class="hljs language-${name.replace(/[^\w+#.-]/g, "")}">${value}\n</code></pre>\n`;
        }
    };
}
