/**
 * A rendered prompt's tokens as llama.cpp (llama-server, LM Studio) tokenizes a whole prompt string: special
 * tokens where the template's markup names them, and every stretch of text between them, markup and message
 * alike, tokenized in one piece. node-llama-cpp's own `LlamaText.tokenize` tokenizes each piece on its own and
 * trims the word-start space of all but the first, so on SentencePiece vocabularies the first word after each
 * piece of markup is spelled out in fragments ("[INST] " + "Tell" gave `▁`, `T`, `e`, `ll` where the model was
 * trained on `▁Tell`): prompts the model never saw, and answers other servers do not give.
 *
 * Message text is never searched for special tokens (a message holding "</s>" or "<|im_end|>" stays text).
 */
import {LlamaText, SpecialToken, SpecialTokensText, type LlamaModel, type Token} from "node-llama-cpp";

/** GGUF token types llama.cpp matches in text parsed for special tokens: unknown, control, user-defined. */
const specialTokenTypes = new Set([2, 3, 4]);

export class PromptTokenizer {
    /** Special tokens by the first character of their text, longest first; null when the file lists no types. */
    private readonly specials: Map<string, Array<{text: string; token: Token}>> | null;

    /** Control tokens (GGUF token type 3). */
    private readonly controlTokens: Set<Token>;

    public constructor(private readonly model: LlamaModel) {
        this.specials = specialTokensOf(model);
        const types = (model.fileInfo.metadata.tokenizer?.ggml as {token_type?: readonly number[]} | undefined)?.token_type ?? [];
        this.controlTokens = new Set(types.flatMap((type, id) => (type === 3 ? [id as Token] : [])));
    }

    /** The tokens of `text`, whose plain strings are message text and whose special values are the template's. */
    public tokens(text: LlamaText): Token[] {
        // Without the vocabulary's token types the markup's special tokens cannot be told: node-llama-cpp's way.
        if (this.specials == null) return text.tokenize(this.model.tokenizer);
        const runs: Array<string | Token[]> = [];
        const addText = (piece: string) => {
            if (piece.length === 0) return;
            const last = runs.length - 1;
            if (typeof runs[last] === "string") runs[last] += piece;
            else runs.push(piece);
        };
        for (const value of text.values) {
            if (typeof value === "string") addText(value);
            else if (value instanceof SpecialToken) runs.push(LlamaText(value).tokenize(this.model.tokenizer));
            else
                for (const part of this.splitMarkup(value)) {
                    if (typeof part === "string") addText(part);
                    else runs.push([part]);
                }
        }
        // Each stretch of text follows a special token (or starts the prompt): llama.cpp gives it the word-start
        // space there too, on vocabularies that want one.
        return runs.flatMap((run) => (typeof run === "string" ? this.model.tokenize(run, false) : run));
    }

    /**
     * The first special token's text found in `text`, if any. Text a template renders into its markup (a
     * function's description or schema, earlier calls' arguments, with some models' Jinja templates) would be
     * read as that token.
     */
    public specialTokenText(text: string): string | undefined {
        // Only control tokens (turn and role markers, end of text) change what the prompt means; user-defined
        // tokens are matched in plain text alike.
        for (const part of this.splitMarkup(new SpecialTokensText(text)))
            if (typeof part !== "string" && this.controlTokens.has(part)) return this.model.detokenize([part], true);
        return undefined;
    }

    /** The template's markup as text and the special tokens named in it. */
    private splitMarkup(markup: SpecialTokensText): Array<string | Token> {
        const text = markup.value;
        const parts: Array<string | Token> = [];
        let plain = "";
        for (let at = 0; at < text.length;) {
            const match = this.specials?.get(text[at]!)?.find((special) => text.startsWith(special.text, at));
            if (match == null) {
                plain += text[at];
                at++;
                continue;
            }
            if (plain.length > 0) parts.push(plain);
            plain = "";
            parts.push(match.token);
            at += match.text.length;
        }
        if (plain.length > 0) parts.push(plain);
        return parts;
    }
}

function specialTokensOf(model: LlamaModel): Map<string, Array<{text: string; token: Token}>> | null {
    const ggml = model.fileInfo.metadata.tokenizer?.ggml as {tokens?: readonly string[]; token_type?: readonly number[]} | undefined;
    if (!Array.isArray(ggml?.tokens) || !Array.isArray(ggml.token_type)) return null;
    const byFirst = new Map<string, Array<{text: string; token: Token}>>();
    ggml.token_type.forEach((type, id) => {
        const text = ggml.tokens![id];
        if (!specialTokenTypes.has(type) || text == null || text.length === 0) return;
        const list = byFirst.get(text[0]!) ?? [];
        list.push({text, token: id as Token});
        byFirst.set(text[0]!, list);
    });
    for (const list of byFirst.values()) list.sort((a, b) => b.text.length - a.text.length);
    return byFirst;
}
