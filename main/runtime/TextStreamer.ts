import type {Token} from "node-llama-cpp";
import {contextTokens} from "./tokenPiece.js";

/** Turns tokens into text; the model's `detokenize` fits (`lastTokens` fixes spacing). */
export type Detokenizer = (tokens: readonly Token[], lastTokens: readonly Token[]) => string;

export interface StreamStep {
    /** Text safe to show now. */
    text: string;
    /** True once a stop string was found; `text` then ends right before it. */
    stopped: boolean;
}

const maxPendingTokens = 4;

/**
 * Incremental detokenization with stop strings, for streaming.
 * Holds back (1) tokens that end in the middle of a UTF-8 character and (2) text that could still be
 * the start of a stop string, so a client never sees half a character or half a stop word.
 */
export class TextStreamer {
    private readonly committed: Token[];
    private pending: Token[] = [];
    private held = "";
    private done = false;
    private decodedChars = 0;

    /**
     * @param precedingTokens the tokens before the first generated one (the prompt's end): a tokenizer
     *   that folds a word's leading space into its token drops that space when it detokenizes a token
     *   without what came before, so "Once upon" + " a" would read "Once upona".
     */
    public constructor(
        private readonly detokenize: Detokenizer,
        private readonly stops: readonly string[],
        precedingTokens: readonly Token[] = []
    ) {
        this.committed = precedingTokens.slice(-contextTokens);
    }

    /**
     * The answer's length in characters through the last token whose text is decoded (shown, held back, or past a
     * stop string); a token still held for the rest of its character is not counted yet. What a token's
     * log-probability is sent with: the text through it.
     */
    public get decodedLength(): number {
        return this.decodedChars;
    }

    /** Whether every pushed token's text is decoded (none waits for the rest of a character). */
    public get allDecoded(): boolean {
        return this.pending.length === 0;
    }

    /** Everything shown so far plus held text is the answer; this is what was shown. */
    public push(token: Token): StreamStep {
        if (this.done) return {text: "", stopped: true};
        this.pending.push(token);
        const decoded = this.detokenize(this.pending, this.committed.slice(-contextTokens));
        if (decoded.endsWith("\uFFFD") && this.pending.length < maxPendingTokens) return {text: "", stopped: false};

        this.committed.push(...this.pending);
        this.pending = [];
        this.decodedChars += decoded.length;
        return this.release(this.held + decoded);
    }

    /** Called at the end of generation: flushes what was held back. */
    public flush(): string {
        if (this.done) return "";
        let text = this.held;
        if (this.pending.length > 0) {
            const decoded = this.detokenize(this.pending, this.committed.slice(-contextTokens));
            this.decodedChars += decoded.length;
            text += decoded;
        }
        this.pending = [];
        this.held = "";
        this.done = true;
        return text;
    }

    private release(text: string): StreamStep {
        let stopAt = -1;
        for (const stop of this.stops) {
            const at = text.indexOf(stop);
            if (at >= 0 && (stopAt < 0 || at < stopAt)) stopAt = at;
        }
        if (stopAt >= 0) {
            this.done = true;
            this.held = "";
            return {text: text.slice(0, stopAt), stopped: true};
        }
        const keep = longestStopPrefixSuffix(text, this.stops);
        this.held = text.slice(text.length - keep);
        return {text: text.slice(0, text.length - keep), stopped: false};
    }
}

/** Length of the longest suffix of `text` that is a proper prefix of one of `stops`. */
function longestStopPrefixSuffix(text: string, stops: readonly string[]): number {
    let best = 0;
    for (const stop of stops) {
        const max = Math.min(stop.length - 1, text.length);
        for (let n = max; n > best; n--) {
            if (text.endsWith(stop.slice(0, n))) {
                best = n;
                break;
            }
        }
    }
    return best;
}
