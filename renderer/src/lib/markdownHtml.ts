import type {RendererObject, Tokens} from "marked";

/**
 * Tags an answer may use for formatting that Markdown lacks (a line break in a table cell, sub- and superscripts,
 * keys): kept, their attributes left to the sanitizer.
 */
const FORMATTING_TAG = /^<\/?(br|sub|sup|b|i|em|strong|u|s|del|ins|kbd|mark|small)(\s[^<>]*)?\/?>$/i;

const escapeHtml = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Raw HTML in an answer is text the model wrote (an answer about web pages: "wrap it in a <div>"), shown as written:
 * the sanitizer would drop the tags it cannot keep and show nothing of the words, or keep an empty element. The
 * formatting tags above are kept.
 */
export const rawHtmlAsText: RendererObject = {
    html({text, block}: Tokens.HTML | Tokens.Tag) {
        if (!block && FORMATTING_TAG.test(text.trim())) return text;
        return block ? `<p class="raw-html">${escapeHtml(text.replace(/\n+$/, ""))}</p>\n` : escapeHtml(text);
    }
};
