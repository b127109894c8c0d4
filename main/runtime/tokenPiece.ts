import type {LlamaModel, Token} from "node-llama-cpp";

/** Tokens before a piece that decide how it is written (a leading space after a word, say). */
export const contextTokens = 8;

/** One token's text as the model writes it after `previous` (the tokens before it). */
export function tokenPiece(model: LlamaModel, token: Token, previous: readonly Token[]): string {
    return model.detokenize([token], false, previous.slice(-contextTokens));
}

/**
 * A token's own bytes, where its text alone (a replacement character) loses them: a byte-fallback token
 * (SentencePiece's `<0xE6>`) is one byte of a character split over several tokens, and a byte-level BPE token
 * (GPT-2's, Llama 3's, Qwen's) may hold part of a character; any other token's are its text's UTF-8.
 */
export function tokenBytes(model: LlamaModel, token: Token, text: string): number[] {
    return rawTokenBytes(model, token) ?? [...Buffer.from(text, "utf8")];
}

/**
 * The bytes a token stands for as its vocabulary writes them: a byte-fallback token's byte, or a byte-level BPE
 * token's bytes (each written there as one printable character); null for other tokens (their text says it all).
 */
export function rawTokenBytes(model: LlamaModel, token: Token): number[] | null {
    const ggml = model.fileInfo.metadata.tokenizer?.ggml as {model?: string; tokens?: readonly string[]} | undefined;
    const name = ggml?.tokens?.[token];
    if (name == null) return null;
    const fallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(name);
    if (fallback != null) return [parseInt(fallback[1]!, 16)];
    if (ggml?.model !== "gpt2") return null;
    const bytes: number[] = [];
    for (const char of name) {
        const byte = byteOfCharacter().get(char);
        // Not a byte-level spelling (an added or control token): its text.
        if (byte == null) return null;
        bytes.push(byte);
    }
    return bytes;
}

/** Whether bytes are whole UTF-8 text (no character cut at either end). */
export function isWholeText(bytes: readonly number[]): boolean {
    try {
        strictUtf8.decode(Uint8Array.from(bytes));
        return true;
    } catch {
        return false;
    }
}

const strictUtf8 = new TextDecoder("utf-8", {fatal: true});

let byteOfCharacterTable: Map<string, number> | undefined;
/**
 * Byte-level BPE's spelling of bytes: printable Latin-1 bytes are their own character, the others (controls,
 * space, …) the characters from U+0100 on, in byte order — so a vocabulary entry is read back to its bytes.
 */
function byteOfCharacter(): Map<string, number> {
    if (byteOfCharacterTable == null) {
        const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
        byteOfCharacterTable = new Map();
        let next = 0x100;
        for (let b = 0; b < 256; b++) byteOfCharacterTable.set(String.fromCodePoint(printable(b) ? b : next++), b);
    }
    return byteOfCharacterTable;
}
