import {useEffect, useState} from "react";
import {getBackend} from "../backend/current.js";
import {worthCounting} from "../lib/messageSize.js";

/** How long the typing rests before the server is asked to count. */
const COUNT_PAUSE_MS = 300;

/** A message's exact count: the tokens (null: none asked for, or the server could not count), or still being asked. */
export interface ExactCount {
    tokens: number | null;
    /** Asked for and not back yet: the message waits for it (a paste sent at once would skip the check). */
    counting: boolean;
}

/**
 * The tokens of `text` as the loaded model reads them, asked of the server once the text is long enough against the
 * context to matter (a paste) and the typing rests; none for shorter texts, and where the backend cannot count (the
 * estimate then stands).
 */
export function useExactTokenCount(text: string, contextSize: number | null | undefined): ExactCount {
    const [counted, setCounted] = useState<{text: string; tokens: number | null} | null>(null);
    const worth = worthCounting(text, contextSize) && getBackend().countTokens !== undefined;
    useEffect(() => {
        const backend = getBackend();
        if (!worth) return;
        const abort = new AbortController();
        const timer = setTimeout(() => {
            backend
                .countTokens?.(text, abort.signal)
                .then((tokens) => setCounted({text, tokens}))
                // Not counted (the server busy, a model loading): the estimate stands.
                .catch(() => {
                    if (!abort.signal.aborted) setCounted({text, tokens: null});
                });
        }, COUNT_PAUSE_MS);
        return () => {
            clearTimeout(timer);
            abort.abort();
        };
    }, [text, worth]);
    if (!worth) return {tokens: null, counting: false};
    return counted?.text === text ? {tokens: counted.tokens, counting: false} : {tokens: null, counting: true};
}
