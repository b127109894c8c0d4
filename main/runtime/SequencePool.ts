import type {LlamaContextSequence, Token} from "node-llama-cpp";

/** Thrown when the wait queue is full: the HTTP layer answers 503 with `retry-after`. */
export class QueueFullError extends Error {
    public constructor(public readonly retryAfterSeconds: number) {
        super("The server is busy: all sequences are in use and the wait queue is full. Retry shortly.");
    }
}

/** Thrown when a request waited longer than the queue timeout. */
export class QueueTimeoutError extends Error {
    public constructor(public readonly waitedMs: number) {
        super(`Timed out after waiting ${Math.round(waitedMs)} ms for a free sequence.`);
    }
}

interface Waiter {
    promptTokens: readonly Token[];
    resolve(lease: SequenceLease): void;
    reject(error: unknown): void;
    enqueuedAt: number;
}

/** A sequence lent to one request; give it back with `release()` exactly once. */
export interface SequenceLease {
    readonly sequence: LlamaContextSequence;
    readonly index: number;
    /** Milliseconds spent waiting in the queue. */
    readonly queueMs: number;
    release(): void;
}

export interface SequencePoolOptions {
    /** Requests allowed to wait when every sequence is busy; more get {@link QueueFullError}. */
    maxQueue: number;
    /** How long a request may wait for a sequence. */
    queueTimeoutMs: number;
}

/**
 * Hands the context's parallel sequences to requests, one request per sequence, FIFO for waiters.
 * An idle sequence whose cached tokens share the longest prefix with the new prompt is preferred,
 * so exact prefix reuse (the floor under semantic sharing) hits as often as it can, as llama-server's
 * slot similarity does.
 */
export class SequencePool {
    private readonly idle = new Set<number>();
    private readonly waiters: Waiter[] = [];

    public constructor(
        private readonly sequences: readonly LlamaContextSequence[],
        private readonly options: SequencePoolOptions
    ) {
        sequences.forEach((_, i) => this.idle.add(i));
    }

    public get size(): number {
        return this.sequences.length;
    }

    public get idleCount(): number {
        return this.idle.size;
    }

    public get queuedCount(): number {
        return this.waiters.length;
    }

    /** Waits for a free sequence (or fails fast when the queue is full or `signal` aborts). */
    public acquire(promptTokens: readonly Token[], signal?: AbortSignal): Promise<SequenceLease> {
        const enqueuedAt = performance.now();
        if (this.idle.size > 0 && this.waiters.length === 0)
            return Promise.resolve(this.lend(this.pickIdle(promptTokens), enqueuedAt));

        if (this.waiters.length >= this.options.maxQueue)
            return Promise.reject(new QueueFullError(1));

        return new Promise<SequenceLease>((resolve, reject) => {
            const waiter: Waiter = {promptTokens, resolve, reject, enqueuedAt};
            const remove = () => {
                const at = this.waiters.indexOf(waiter);
                if (at >= 0) this.waiters.splice(at, 1);
            };
            const timer = setTimeout(() => {
                remove();
                reject(new QueueTimeoutError(performance.now() - enqueuedAt));
            }, this.options.queueTimeoutMs);
            const onAbort = () => {
                clearTimeout(timer);
                remove();
                reject(signal?.reason ?? new Error("aborted"));
            };
            if (signal?.aborted) return onAbort();
            signal?.addEventListener("abort", onAbort, {once: true});
            waiter.resolve = (lease) => {
                clearTimeout(timer);
                signal?.removeEventListener("abort", onAbort);
                resolve(lease);
            };
            this.waiters.push(waiter);
        });
    }

    private lend(index: number, enqueuedAt: number): SequenceLease {
        this.idle.delete(index);
        const sequence = this.sequences[index]!;
        let released = false;
        return {
            sequence,
            index,
            queueMs: performance.now() - enqueuedAt,
            release: () => {
                if (released) return;
                released = true;
                this.idle.add(index);
                this.dispatch();
            }
        };
    }

    private dispatch(): void {
        const waiter = this.waiters.shift();
        if (waiter == null) return;
        waiter.resolve(this.lend(this.pickIdle(waiter.promptTokens), waiter.enqueuedAt));
    }

    private pickIdle(promptTokens: readonly Token[]): number {
        let best = -1;
        let bestShared = -1;
        for (const index of this.idle) {
            const shared = sharedPrefixLength(this.sequences[index]!.contextTokens, promptTokens);
            if (shared > bestShared) {
                best = index;
                bestShared = shared;
            }
        }
        return best;
    }
}

/** Number of leading tokens two token lists have in common. */
export function sharedPrefixLength(a: readonly Token[], b: readonly Token[]): number {
    const n = Math.min(a.length, b.length);
    let i = 0;
    while (i < n && a[i] === b[i]) i++;
    return i;
}
