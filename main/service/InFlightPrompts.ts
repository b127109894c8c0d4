import type {Token} from "node-llama-cpp";
import {alignTokens, reuseUpperBound} from "../sharing/align/index.js";

/** A prompt being prefilled that others of its scope may wait for (its KV becomes their donor). */
export interface InFlightPrompt {
    readonly scope: string;
    readonly tokens: readonly Token[];
    /** Requests waiting for its KV: when there are any, it is stored the moment its prefill ends. */
    waiters: number;
    /** Resolves once its KV is a donor, or it failed, or it finished without storing any. */
    readonly ready: Promise<void>;
    markReady(): void;
}

/**
 * Coalescing a burst: when many people send variants of one prompt at once (a class starting the same
 * exercise), one prefill serves them all. The first is prefilled; the others, finding it here, wait
 * for its KV (up to a cap) instead of each prefilling the same text, then reuse it through KV editing.
 */
export class InFlightPrompts {
    private readonly prompts = new Set<InFlightPrompt>();

    /** Registers a prompt about to be prefilled; call `markReady` (and {@link remove}) when done. */
    public add(scope: string, tokens: readonly Token[]): InFlightPrompt {
        let markReady = () => undefined as void;
        const ready = new Promise<void>((resolve) => (markReady = resolve));
        const prompt: InFlightPrompt = {scope, tokens, waiters: 0, ready, markReady};
        this.prompts.add(prompt);
        return prompt;
    }

    /** Requests waiting for some prompt's KV right now (they wait for compute as much as those queued for a sequence). */
    public get waiting(): number {
        let waiting = 0;
        for (const prompt of this.prompts) waiting += prompt.waiters;
        return waiting;
    }

    public remove(prompt: InFlightPrompt): void {
        prompt.markReady();
        this.prompts.delete(prompt);
    }

    /**
     * The prompt in flight in `scope` that lets `tokens` reuse the most, when it lets them reuse at
     * least `minReused` tokens.
     */
    public bestFor(scope: string, tokens: readonly Token[], minReused: number, minRunLength: number): InFlightPrompt | undefined {
        let best: {prompt: InFlightPrompt; reused: number} | undefined;
        for (const prompt of this.prompts) {
            if (prompt.scope !== scope) continue;
            // The cheap bound first: most prompts in flight cannot reach the bar or beat the best so far.
            if (reuseUpperBound(prompt.tokens, tokens, {minRunLength}) < Math.max(minReused, (best?.reused ?? -1) + 1)) continue;
            const reused = alignTokens(prompt.tokens, tokens, {minRunLength}).reusedTokens;
            if (reused >= minReused && (best == null || reused > best.reused)) best = {prompt, reused};
        }
        return best?.prompt;
    }

    /**
     * Waits until `prompt`'s KV is a donor, `maxWaitMs` passed, or `signal` aborted (then it throws its
     * reason).
     */
    public async waitFor(prompt: InFlightPrompt, maxWaitMs: number, signal: AbortSignal): Promise<void> {
        prompt.waiters++;
        let timer: NodeJS.Timeout | undefined;
        let onAbort: (() => void) | undefined;
        try {
            await Promise.race([
                prompt.ready,
                new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs))),
                new Promise<never>((_, reject) => {
                    onAbort = () => reject(signal.reason);
                    if (signal.aborted) onAbort();
                    else signal.addEventListener("abort", onAbort, {once: true});
                })
            ]);
        } finally {
            prompt.waiters--;
            clearTimeout(timer);
            if (onAbort != null) signal.removeEventListener("abort", onAbort);
        }
    }
}
