import type {LlamaContextSequence, Token} from "node-llama-cpp";
import {commonPrefixLength} from "../kv/index.js";

/** Thrown when the wait queue is full: the HTTP layer answers 503 with `retry-after`. */
export class QueueFullError extends Error {
    public constructor(
        public readonly retryAfterSeconds: number,
        message = "The server is busy: all sequences are in use and the wait queue is full. Retry shortly."
    ) {
        super(message);
    }
}

/** Thrown when a request waited longer than the queue timeout. */
export class QueueTimeoutError extends Error {
    public constructor(public readonly waitedMs: number) {
        super(`Timed out after waiting ${Math.round(waitedMs)} ms for a free sequence.`);
    }
}

/** What admission knows about a request. */
export interface AdmissionTicket {
    promptTokens: readonly Token[];
    /** Sharing scope: a sequence's KV is reused only by requests of the scope that filled it. */
    scope: string;
    /** Expected share (0..1) of the prompt reused from the cache: higher goes first (KVShare v2). */
    expectedReuse: number;
    /**
     * The prefill time that reuse is expected to save, once the machine's prefill rate is measured: then the
     * queue weighs saved time against waited time, both in milliseconds, so reuse that saves little (a tiny
     * model, a short prompt) does not make anyone wait longer.
     */
    expectedSavedMs?: number;
    /** Donor the request will use, so requests sharing a donor run back to back. */
    donorId?: number;
}

interface Waiter {
    ticket: AdmissionTicket;
    resolve(lease: SequenceLease): void;
    enqueuedAt: number;
}

/** A sequence lent to one request; give it back with `release()` exactly once. */
export interface SequenceLease {
    readonly sequence: LlamaContextSequence;
    readonly index: number;
    /** Milliseconds spent waiting in the queue. */
    readonly queueMs: number;
    /** Whether the sequence's current KV belongs to the request's scope (else it must be cleared). */
    readonly sameScope: boolean;
    release(): void;
}

export interface SequencePoolOptions {
    /** Requests allowed to wait when every sequence is busy; more get {@link QueueFullError}. */
    maxQueue: number;
    /** How long a request may wait for a sequence. */
    queueTimeoutMs: number;
    /** Waiting this long is worth as much as a full expected cache hit, so nobody starves. */
    agingMs: number;
}

const donorAffinityBonus = 0.25;

/**
 * Hands the context's parallel sequences to requests, one request per sequence. Waiting requests are
 * served by priority: expected cache reuse (highest first), plus aging so nobody starves, plus a bonus
 * for using the donor that was just used (its snapshot is still hot). An idle sequence of the same
 * scope sharing the longest prefix with the prompt is preferred; a sequence is never handed to another
 * scope with its KV (the lease says so and the caller clears it).
 */
export class SequencePool {
    private readonly idle = new Set<number>();
    private readonly owners: Array<string | undefined>;
    /** Busy sequences whose KV goes when their request lets them go (see {@link forget}). */
    private readonly forgetOnRelease = new Set<number>();
    private readonly waiters: Waiter[] = [];
    private lastDonorId: number | undefined;

    public constructor(
        private readonly sequences: readonly LlamaContextSequence[],
        private readonly options: () => SequencePoolOptions
    ) {
        sequences.forEach((_, i) => this.idle.add(i));
        this.owners = sequences.map(() => undefined);
    }

    public get size(): number {
        return this.sequences.length;
    }

    public get idleCount(): number {
        return this.idle.size;
    }

    /** Sequences a request holds now. */
    public get busyCount(): number {
        return this.sequences.length - this.idle.size;
    }

    public get queuedCount(): number {
        return this.waiters.length;
    }

    /** Each sequence: whether a request holds it now, and how many tokens of KV it keeps (for a later prefix). */
    public slots(): Array<{id: number; busy: boolean; tokens: number}> {
        return this.sequences.map((sequence, id) => ({id, busy: !this.idle.has(id), tokens: sequence.contextTokens.length}));
    }

    /** Waits for a free sequence (or fails fast when the queue is full, times out, or `signal` aborts). */
    public acquire(ticket: AdmissionTicket, signal?: AbortSignal): Promise<SequenceLease> {
        const enqueuedAt = performance.now();
        if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
        if (this.idle.size > 0 && this.waiters.length === 0) return Promise.resolve(this.lend(ticket, enqueuedAt));
        const options = this.options();
        if (this.waiters.length >= options.maxQueue) return Promise.reject(new QueueFullError(1));

        return new Promise<SequenceLease>((resolve, reject) => {
            const remove = () => {
                const at = this.waiters.indexOf(waiter);
                if (at >= 0) this.waiters.splice(at, 1);
            };
            const timer = setTimeout(() => {
                remove();
                signal?.removeEventListener("abort", onAbort);
                reject(new QueueTimeoutError(performance.now() - enqueuedAt));
            }, options.queueTimeoutMs);
            const onAbort = () => {
                clearTimeout(timer);
                remove();
                reject(signal?.reason ?? new Error("aborted"));
            };
            const waiter: Waiter = {
                ticket,
                enqueuedAt,
                resolve: (lease) => {
                    clearTimeout(timer);
                    signal?.removeEventListener("abort", onAbort);
                    resolve(lease);
                }
            };
            signal?.addEventListener("abort", onAbort, {once: true});
            this.waiters.push(waiter);
        });
    }

    private lend(ticket: AdmissionTicket, enqueuedAt: number): SequenceLease {
        const index = this.pickIdle(ticket);
        this.idle.delete(index);
        const sameScope = this.owners[index] === ticket.scope;
        this.owners[index] = ticket.scope;
        if (ticket.donorId != null) this.lastDonorId = ticket.donorId;
        let released = false;
        return {
            sequence: this.sequences[index]!,
            index,
            queueMs: performance.now() - enqueuedAt,
            sameScope,
            release: () => {
                if (released) return;
                released = true;
                if (this.forgetOnRelease.delete(index)) void this.clear(index);
                else {
                    this.idle.add(index);
                    this.dispatch();
                }
            }
        };
    }

    /**
     * Drops the KV every sequence holds (a cleared cache, a purged key: none of those prompts may stay in
     * memory either). Idle sequences are taken out of the pool until cleared, so no request starts on one
     * meanwhile; busy ones are cleared when their request lets them go.
     */
    public forget(): void {
        this.sequences.forEach((_, index) => {
            if (!this.idle.has(index)) this.forgetOnRelease.add(index);
            else {
                this.idle.delete(index);
                void this.clear(index);
            }
        });
    }

    private async clear(index: number): Promise<void> {
        try {
            await this.sequences[index]!.clearHistory();
        } catch {
            // Whoever gets it next clears it first: it belongs to no scope now.
        } finally {
            // A forget that came while this clear ran (the sequence was out of the pool) is answered by it.
            this.forgetOnRelease.delete(index);
            this.owners[index] = undefined;
            this.idle.add(index);
            this.dispatch();
        }
    }

    private dispatch(): void {
        if (this.waiters.length === 0 || this.idle.size === 0) return;
        const now = performance.now();
        const agingMs = this.options().agingMs;
        let bestAt = 0;
        let bestScore = Number.NEGATIVE_INFINITY;
        this.waiters.forEach((waiter, at) => {
            const {expectedReuse, expectedSavedMs, donorId} = waiter.ticket;
            // In milliseconds: time waited, plus the prefill the reuse saves (measured), or the reuse share
            // worth `agingMs` before the rate is known; a donor just used is worth a quarter more (its KV is hot).
            const saving = expectedSavedMs ?? expectedReuse * agingMs;
            const affinity = donorId != null && donorId === this.lastDonorId ? 1 + donorAffinityBonus : 1;
            const score = now - waiter.enqueuedAt + saving * affinity;
            if (score > bestScore) {
                bestScore = score;
                bestAt = at;
            }
        });
        const [waiter] = this.waiters.splice(bestAt, 1);
        waiter!.resolve(this.lend(waiter!.ticket, waiter!.enqueuedAt));
    }

    /** Same-scope sequence with the longest shared prefix; else an unowned one; else the first idle one. */
    private pickIdle(ticket: AdmissionTicket): number {
        let best = -1;
        let bestScore = -1;
        for (const index of this.idle) {
            const owner = this.owners[index];
            const score = owner === ticket.scope ? 2 + commonPrefixLength(this.sequences[index]!.contextTokens, ticket.promptTokens) : owner == null ? 1 : 0;
            if (score > bestScore) {
                best = index;
                bestScore = score;
            }
        }
        return best;
    }
}
