import type {LlamaContextSequence, LlamaModel, Token} from "node-llama-cpp";
import {decode, type DecodeHooks} from "../runtime/decode.js";
import type {ModelRuntime} from "../runtime/ModelRuntime.js";
import {defaultSampling, type GenerationJob} from "../runtime/types.js";
import type {SharingEngine} from "../sharing/engine/SharingEngine.js";
import type {PreparedSequence, SharedPrompt} from "../sharing/engine/types.js";
import {budgetLadder, nearestBudgetStep} from "../sharing/policy/index.js";
import {compareAnswers} from "./agreement.js";
import type {QualityStore} from "./QualityStore.js";
import type {ReplayRow, RequestLog} from "./RequestLog.js";

/** What the monitor needs of the request pipeline: how busy it is, the runtime, sharing, and each arrival. */
export interface MonitoredService {
    readonly inFlight: number;
    readonly runtime: ModelRuntime;
    readonly sharing: SharingEngine;
    onArrival(listener: () => void): () => void;
}

export interface QualityMonitorOptions {
    /** The loaded model's request pipeline, when one is loaded. */
    pipeline(): MonitoredService | undefined;
    requestLog: RequestLog;
    checks: QualityStore;
    /** Share of shared-KV requests sampled; 0 turns the monitor off. */
    share(): number;
    log: {warn(message: string): void};
    /** Quiet time (no request arriving or running) before a replay starts. */
    idleMs?: number;
    /** How often the monitor looks for an idle moment. */
    pollMs?: number;
    /** Tokens each greedy answer is decoded to at most. */
    maxTokens?: number;
}

/** Thrown inside a replay when a real request arrives; the replay is simply abandoned. */
class Yielded extends Error {}

const defaults = {idleMs: 2000, pollMs: 500, maxTokens: 32};

/**
 * The idle quality monitor: when the model has been idle a while, it takes a sampled shared-KV
 * request from the log and decodes it twice, greedily: from full prefill and from the same donor's
 * KV edited into place (the request's own scope, donor and budget), and records how far the two
 * answers agree; then, for the what-if budget curve, decodes the same request at one other budget of
 * the ladder (in turn). It holds one sequence of the request's scope, so its KV never reaches another
 * scope, and stops between two tokens the moment any request arrives: the check is retried later.
 */
export class QualityMonitor {
    private timer: NodeJS.Timeout | undefined;
    private lastActivity = Date.now();
    private current: AbortController | undefined;
    private running: Promise<void> | undefined;
    private unsubscribe: (() => void) | undefined;
    private subscribedTo: MonitoredService | undefined;
    private readonly options: QualityMonitorOptions & typeof defaults;
    /** Checks done, given way to a request, skipped; kept tokens the replays' decode stages recomputed. */
    public readonly counts = {checked: 0, yielded: 0, skipped: 0, decodeRecomputed: 0};

    public constructor(options: QualityMonitorOptions) {
        this.options = {...defaults, ...options};
    }

    /** Whether a replay holds a sequence right now. */
    public get replaying(): boolean {
        return this.running != null;
    }

    public start(): void {
        this.timer ??= setInterval(() => this.tick(), this.options.pollMs).unref();
    }

    /** Stops polling and abandons a replay in progress; resolves once its sequence is given back. */
    public async stop(): Promise<void> {
        clearInterval(this.timer);
        this.timer = undefined;
        this.unsubscribe?.();
        this.unsubscribe = undefined;
        this.subscribedTo = undefined;
        this.current?.abort(new Yielded("stopped"));
        await this.running;
    }

    private tick(): void {
        const inference = this.options.pipeline();
        if (inference == null || this.running != null) return;
        if (this.subscribedTo !== inference) {
            this.unsubscribe?.();
            this.subscribedTo = inference;
            this.unsubscribe = inference.onArrival(() => {
                this.lastActivity = Date.now();
                this.current?.abort(new Yielded("a request arrived"));
            });
        }
        const pool = inference.runtime.pool;
        if (inference.inFlight > 0 || pool.queuedCount > 0 || pool.busyCount > 0) {
            this.lastActivity = Date.now();
            return;
        }
        if (Date.now() - this.lastActivity < this.options.idleMs || this.options.share() <= 0) return;
        const [row] = this.options.requestLog.replays.pending(1);
        if (row == null) return;
        const controller = new AbortController();
        this.current = controller;
        this.running = this.check(inference, row, controller.signal)
            .catch((error: unknown) => {
                if (error instanceof Yielded || controller.signal.aborted) {
                    this.counts.yielded++;
                    return;
                }
                // A check that fails for another reason is not retried forever.
                this.options.requestLog.replays.drop(row.id);
                this.options.log.warn(`quality check of request ${row.id} failed: ${(error as Error).message}`);
            })
            .finally(() => {
                this.current = undefined;
                this.running = undefined;
                this.lastActivity = Date.now();
            });
    }

    /** Replays one request both ways and records the agreement; drops its tokens once done. */
    private async check(inference: MonitoredService, row: ReplayRow, signal: AbortSignal): Promise<void> {
        const runtime = inference.runtime;
        const engine = inference.sharing;
        const tokens = row.tokens as Token[];
        const prompt: SharedPrompt = {
            tokens,
            text: "",
            scope: row.scope,
            detail: false,
            revealDonor: false,
            replay: true,
            recomputeBudget: row.budget,
            recomputePolicy: row.recomputePolicy,
            // replayed greedily: a guard runs as it would on a greedy request
            guardable: true
        };
        const admission = engine.admitReplay(prompt, row.donorId, row.donorSimilarity ?? 0);
        if (admission == null || tokens.length >= runtime.contextSize) {
            this.counts.skipped++;
            this.options.requestLog.replays.drop(row.id);
            return;
        }
        const lease = await runtime.pool.acquire({promptTokens: tokens, scope: row.scope, expectedReuse: 0}, signal);
        try {
            const sequence = lease.sequence;
            const maxTokens = Math.min(this.options.maxTokens, runtime.contextSize - tokens.length - 1);
            let t = performance.now();
            await sequence.clearHistory();
            const full = await greedy(runtime.model, sequence, tokens, tokens, maxTokens, signal);
            const fullMs = performance.now() - t;

            t = performance.now();
            await sequence.clearHistory();
            const prepared = await engine.prepare(sequence, prompt, admission);
            if (signal.aborted) throw new Yielded("a request arrived");
            if (prepared.record.mode !== "semantic") {
                // The donor no longer helps this prompt (e.g. a minimum gain raised since): nothing to compare.
                this.counts.skipped++;
                this.options.requestLog.replays.drop(row.id);
                return;
            }
            const shared = await this.sharedGreedy(engine, runtime.model, sequence, tokens, prepared, maxTokens, signal);
            const sharedMs = performance.now() - t;
            const agreement = compareAnswers(shared, full);
            this.options.checks.record({
                requestId: row.id,
                at: Date.now(),
                scope: row.scope,
                policy: row.policy,
                recomputePolicy: prepared.trace.recomputePolicy,
                budget: row.budget,
                similarity: row.donorSimilarity,
                ...agreement,
                fullMs,
                sharedMs
            });
            this.options.requestLog.replays.drop(row.id);
            this.counts.checked++;

            // The same request at another budget of the ladder (in turn), for the what-if budget curve; not
            // under `none`, which no budget changes.
            if (prepared.trace.recomputePolicy === "none") return;
            const probe = budgetLadder[this.counts.checked % budgetLadder.length]!;
            if (probe === nearestBudgetStep(row.budget)) return;
            t = performance.now();
            await sequence.clearHistory();
            const probePrompt: SharedPrompt = {...prompt, recomputeBudget: probe};
            const probeAdmission = engine.admitReplay(probePrompt, row.donorId, row.donorSimilarity ?? 0);
            if (probeAdmission == null) return;
            const probed = await engine.prepare(sequence, probePrompt, probeAdmission);
            if (signal.aborted) throw new Yielded("a request arrived");
            if (probed.record.mode !== "semantic") return;
            const atProbe = await this.sharedGreedy(engine, runtime.model, sequence, tokens, probed, maxTokens, signal);
            this.options.checks.record({
                requestId: row.id,
                at: Date.now(),
                scope: row.scope,
                policy: row.policy,
                recomputePolicy: probed.trace.recomputePolicy,
                budget: probe,
                similarity: row.donorSimilarity,
                ...compareAnswers(atProbe, full),
                fullMs,
                sharedMs: performance.now() - t,
                probe: true
            });
        } finally {
            lease.release();
        }
    }

    /**
     * {@link greedy} on a prepared (shared-KV) sequence, with the decode stage its policy runs when served
     * (`dhd-decode`, `dhd-guard`), so a check measures what requests get.
     */
    private async sharedGreedy(
        engine: SharingEngine,
        model: LlamaModel,
        sequence: LlamaContextSequence,
        prompt: readonly Token[],
        prepared: PreparedSequence,
        maxTokens: number,
        signal: AbortSignal
    ): Promise<number[]> {
        const stage = engine.decodeStage(sequence, prepared);
        try {
            // It runs while no request waits (one that arrives aborts it): the stage's recompute is never held back.
            return await greedy(
                model,
                sequence,
                prompt,
                prepared.pendingTokens,
                maxTokens,
                signal,
                stage?.hooks(() => signal.aborted)
            );
        } finally {
            // The sequence goes back to the pool after the last replay: one that lost cells must not be reused.
            if (stage != null && !(await stage.finish())) await sequence.clearHistory();
            this.counts.decodeRecomputed += prepared.record.decode_recompute?.tokens ?? 0;
        }
    }
}

/**
 * Greedy decoding of up to `maxTokens` after `pending` (the prompt's tokens the sequence does not hold yet), through
 * the decode loop requests go through; throws {@link Yielded} on abort.
 */
async function greedy(
    model: LlamaModel,
    sequence: LlamaContextSequence,
    prompt: readonly Token[],
    pending: readonly Token[],
    maxTokens: number,
    signal: AbortSignal,
    hooks: DecodeHooks = {}
): Promise<number[]> {
    if (signal.aborted) throw new Yielded("a request arrived");
    if (maxTokens <= 0) return [];
    const job: GenerationJob = {
        promptTokens: prompt,
        maxTokens,
        maxTokensExplicit: true,
        stops: [],
        sampling: {...defaultSampling, temperature: 0},
        signal,
        arrivedAt: performance.now()
    };
    const decoded = await decode(model, sequence, pending.slice(), job, hooks);
    if (signal.aborted) throw new Yielded("a request arrived");
    return decoded.tokens;
}
