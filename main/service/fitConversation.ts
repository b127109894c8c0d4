/**
 * A conversation too long for the model's context, made to fit by leaving out its oldest messages (a
 * rolling window, LM Studio's and Jan's answer to long chats): system messages and the last message stay,
 * and the kept part never starts with an answer or a tool result whose question was left out.
 */
import {maxCharsPerToken} from "../runtime/errors.js";
import {messageText, type PlainMessage} from "../runtime/PromptBuilder.js";

export interface FittedConversation {
    messages: PlainMessage[];
    /** Messages left out. */
    dropped: number;
}

/**
 * The conversation with the fewest oldest messages left out for `fits` to hold of its prompt. When nothing
 * fits (the last message alone is too long), as much as can go is left out: the caller's usual overflow
 * error then says so.
 * @param promptTokens the prompt's length in tokens for a list of messages
 * @param fits whether a prompt of that length leaves room for the answer
 */
export function fitConversation(
    messages: readonly PlainMessage[],
    contextSize: number,
    promptTokens: (messages: PlainMessage[]) => number,
    fits: (tokens: number) => boolean
): FittedConversation {
    // The messages that may go, oldest first: all but system messages and the last message.
    const droppable = messages.flatMap((message, i) => (message.role !== "system" && i < messages.length - 1 ? [i] : []));
    /** The indices left out when the `k` oldest droppable messages go. */
    const leftOut = (k: number): Set<number> => {
        const gone = new Set(droppable.slice(0, k));
        // What follows a left-out message without its question (answers, results) goes too.
        for (const i of k === 0 ? [] : droppable.slice(k)) {
            const message = messages[i]!;
            if (message.role === "user" && message.result == null) break;
            gone.add(i);
        }
        return gone;
    };
    const keeping = (k: number): FittedConversation => {
        const gone = leftOut(k);
        return {messages: messages.filter((_, i) => !gone.has(i)), dropped: gone.size};
    };
    const lengths = messages.map((m) => messageText(m).length);
    const characters = (k: number) => {
        const gone = leftOut(k);
        return lengths.reduce((sum, n, i) => (gone.has(i) ? sum : sum + n), 0);
    };
    // Text that cannot fit by its length alone is left out before anything is tokenized (tokenizing a few
    // megabytes holds up every other request): the least left out for the length to fit, by bisection
    // (leaving out more never makes the text longer), so a chat of thousands of messages costs n·log n.
    let low = 0;
    if (lengths.reduce((sum, n) => sum + n, 0) > contextSize * maxCharsPerToken) {
        let over = 0;
        let under = droppable.length;
        if (characters(under) > contextSize * maxCharsPerToken) return keeping(under);
        while (under - over > 1) {
            const middle = Math.floor((over + under) / 2);
            if (characters(middle) > contextSize * maxCharsPerToken) over = middle;
            else under = middle;
        }
        low = under;
    }
    if (fits(promptTokens(keeping(low).messages))) return keeping(low);
    // The least left out that fits: leaving out more never makes a prompt longer.
    let high = droppable.length;
    if (!fits(promptTokens(keeping(high).messages))) return keeping(high);
    while (high - low > 1) {
        const middle = Math.floor((low + high) / 2);
        if (fits(promptTokens(keeping(middle).messages))) high = middle;
        else low = middle;
    }
    return keeping(high);
}
