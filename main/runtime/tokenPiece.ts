import type {LlamaModel, Token} from "node-llama-cpp";

/** Tokens before a piece that decide how it is written (a leading space after a word, say). */
export const contextTokens = 8;

/** One token's text as the model writes it after `previous` (the tokens before it). */
export function tokenPiece(model: LlamaModel, token: Token, previous: readonly Token[]): string {
    return model.detokenize([token], false, previous.slice(-contextTokens));
}

/**
 * A token's own bytes: a byte-fallback token (`<0xE6>`) is one byte of a character split over several tokens,
 * which its text alone (a replacement character) loses; any other token's are its text's UTF-8.
 */
export function tokenBytes(model: LlamaModel, token: Token, text: string): number[] {
    const byte = fallbackByte(model, token);
    return byte != null ? [byte] : [...Buffer.from(text, "utf8")];
}

/** The byte a byte-fallback token (`<0xE6>`) stands for; null for any other token. */
export function fallbackByte(model: LlamaModel, token: Token): number | null {
    const name = (model.fileInfo.metadata.tokenizer?.ggml?.tokens as string[] | undefined)?.[token];
    const byte = name == null ? null : /^<0x([0-9A-Fa-f]{2})>$/.exec(name);
    return byte == null ? null : parseInt(byte[1]!, 16);
}
