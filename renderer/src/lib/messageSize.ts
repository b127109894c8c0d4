/** The server stores messages of at most this many characters (about 1 MB of text). */
export const MAX_MESSAGE_CHARS = 1_000_000;
/** Characters per token of ordinary text with common tokenizers: a rough estimate, only to refuse the hopeless. */
const CHARS_PER_TOKEN = 4;
/**
 * The estimate is rough, so only a message far beyond the context is refused here; one near the limit goes
 * to the server, which counts exactly.
 */
const FAR_BEYOND = 1.5;

const count = (n: number): string => n.toLocaleString("en-US");

/** The estimate's share of the context from which the server is asked for the exact count (a tokenizer may pack less). */
const WORTH_COUNTING = 0.4;

/** The text's tokens as estimated (about 4 characters each). */
export function estimatedTokens(text: string): number {
    return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/**
 * Whether a message is long enough, against the context, that its exact count is worth asking the server for; not
 * one the estimate refuses already (far beyond the context: the server is not made to read it).
 */
export function worthCounting(text: string, contextSize?: number | null): boolean {
    if (contextSize == null || contextSize <= 0 || text.length > MAX_MESSAGE_CHARS) return false;
    const tokens = estimatedTokens(text);
    return tokens > contextSize * WORTH_COUNTING && tokens <= contextSize * FAR_BEYOND;
}

/**
 * Why a message is too big to send, or null. `contextSize` is the model's context in tokens, when known:
 * a message that cannot fit it would only come back as an error, and stay in the chat's history. `exactTokens`:
 * the message's tokens (with the chat's system prompt) as the model counts them, where the server said; without
 * it, the rough estimate refuses only what is far beyond the context.
 */
export function messageSizeProblem(text: string, contextSize?: number | null, exactTokens?: number | null): string | null {
    if (text.length > MAX_MESSAGE_CHARS)
        return `This message is ${count(text.length)} characters long; a message can hold at most ${count(MAX_MESSAGE_CHARS)} (about 1 MB of text). Shorten it or send it in parts.`;
    if (contextSize == null || contextSize <= 0) return null;
    if (exactTokens != null)
        return exactTokens >= contextSize
            ? `This message is ${count(exactTokens)} tokens with the chat's system prompt; the model's context holds ${count(contextSize)}. Shorten it, or load a model with a larger context.`
            : null;
    const tokens = estimatedTokens(text);
    if (tokens > contextSize * FAR_BEYOND)
        return `This message is about ${count(tokens)} tokens; the model's context holds ${count(contextSize)}. Shorten it, or load a model with a larger context.`;
    return null;
}
