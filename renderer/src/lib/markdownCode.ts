import hljs from "highlight.js/lib/common";
import type {RendererObject, Tokens} from "marked";

/** The language a fenced block names (its info string's first word), if highlight.js knows it. */
function knownLanguage(info: string | undefined): string | undefined {
    const name = info?.trim().split(/\s+/)[0]?.toLowerCase();
    return name !== undefined && name !== "" && hljs.getLanguage(name) !== undefined ? name : undefined;
}

/**
 * Colours a fenced code block whose language highlight.js knows (its common set: about 40 languages and their
 * aliases); other blocks are left to marked. highlight.js escapes the code and adds only `<span class="hljs-…">`,
 * and the result still goes through the sanitizer. Blocks without a language are not guessed at: guessing runs
 * every grammar on every streamed token, and a guess can change colours as the block grows.
 */
export const codeHighlighting: RendererObject = {
    code({text, lang}: Tokens.Code) {
        const language = knownLanguage(lang);
        if (language === undefined) return false;
        const {value} = hljs.highlight(text, {language, ignoreIllegals: true});
        const name = (lang ?? "").trim().split(/\s+/)[0] ?? language;
        return `<pre><code class="hljs language-${name.replace(/[^\w+#.-]/g, "")}">${value}\n</code></pre>\n`;
    }
};
