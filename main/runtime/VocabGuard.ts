import type {LlamaModel} from "node-llama-cpp";

/**
 * Keeps text the model's vocabulary cannot encode away from llama.cpp's tokenizer.
 *
 * A SentencePiece vocabulary without byte-fallback tokens (`<0x23>` …) makes llama.cpp throw
 * `std::out_of_range` in `byte_to_token` for a character it has no token for ('#' with
 * TinyStories-656K), and that exception aborts the whole process. Every text that is tokenized goes
 * through {@link VocabGuard.clean}, which replaces such characters with a space.
 */
export class VocabGuard {
    private constructor(
        private readonly tokens: ReadonlySet<string>,
        private readonly safeBytes: readonly boolean[]
    ) {}

    /** A guard for SentencePiece vocabularies that lack byte tokens; null when every byte is covered. */
    public static forModel(model: LlamaModel): VocabGuard | null {
        const tokenizer = model.fileInfo.metadata.tokenizer?.ggml;
        if (tokenizer == null || tokenizer.model !== "llama" || !Array.isArray(tokenizer.tokens)) return null;
        const tokens = new Set(tokenizer.tokens as string[]);
        const safeBytes = Array.from(
            {length: 256},
            (_, byte) => tokens.has(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`) || (byte < 0x80 && tokens.has(String.fromCharCode(byte)))
        );
        if (safeBytes.every(Boolean)) return null;
        return new VocabGuard(tokens, safeBytes);
    }

    /** Characters of `text` the tokenizer would crash on. */
    public unencodable(text: string): string[] {
        const found = new Set<string>();
        for (const char of text) if (!this.encodable(char)) found.add(char);
        return [...found];
    }

    /** `text` with every character the vocabulary cannot encode replaced by a space. */
    public clean(text: string): string {
        let out = "";
        for (const char of text) out += this.encodable(char) ? char : " ";
        return out;
    }

    private encodable(char: string): boolean {
        // SentencePiece turns spaces into "▁" before lookup.
        if (char === " ") return this.tokens.has("\u2581") || this.safeBytes[0x20] === true;
        if (this.tokens.has(char)) return true;
        for (const byte of Buffer.from(char, "utf8")) if (this.safeBytes[byte] !== true) return false;
        return true;
    }
}
