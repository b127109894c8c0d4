import {useEffect, useState} from "react";
import {getBackend} from "../backend/current.js";
import {worthCounting} from "../lib/messageSize.js";

/** How long the typing rests before the server is asked to count. */
const COUNT_PAUSE_MS = 300;

/**
 * The tokens of `text` as the loaded model reads them, asked of the server once the text is long enough against the
 * context to matter (a paste) and the typing rests; null until then, for shorter texts, and where the backend cannot
 * count (the estimate then stands).
 */
export function useExactTokenCount(text: string, contextSize: number | null | undefined): number | null {
    const [counted, setCounted] = useState<{text: string; tokens: number} | null>(null);
    const worth = worthCounting(text, contextSize);
    useEffect(() => {
        const backend = getBackend();
        if (!worth || backend.countTokens === undefined) return;
        const abort = new AbortController();
        const timer = setTimeout(() => {
            backend
                .countTokens?.(text, abort.signal)
                .then((tokens) => setCounted({text, tokens}))
                // Not counted (the server busy, a model loading): the estimate stands.
                .catch(() => undefined);
        }, COUNT_PAUSE_MS);
        return () => {
            clearTimeout(timer);
            abort.abort();
        };
    }, [text, worth]);
    return worth && counted?.text === text ? counted.tokens : null;
}
