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

/**
 * Why a message is too big to send, or null. `contextSize` is the model's context in tokens, when known:
 * a message that cannot fit it would only come back as an error, and stay in the chat's history.
 */
export function messageSizeProblem(text: string, contextSize?: number | null): string | null {
    if (text.length > MAX_MESSAGE_CHARS)
        return `This message is ${count(text.length)} characters long; a message can hold at most ${count(MAX_MESSAGE_CHARS)} (about 1 MB of text). Shorten it or send it in parts.`;
    const tokens = Math.ceil(text.length / CHARS_PER_TOKEN);
    if (contextSize != null && contextSize > 0 && tokens > contextSize * FAR_BEYOND)
        return `This message is about ${count(tokens)} tokens; the model's context holds ${count(contextSize)}. Shorten it, or load a model with a larger context.`;
    return null;
}
