import path from "node:path";
import {LlamaLogLevel, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaEmbeddingContext, type LlamaModel, type Token} from "node-llama-cpp";
import {checkKvShiftability, createKvEditingContext, getKvEditingSupport, withExclusiveDecode} from "../kv/index.js";
import {checkTextLength, ContextOverflowError} from "./errors.js";
import {loadLlama, type GpuFallback, type GpuSetting, type LoadedBuild} from "./nativeBuild.js";
import {GrammarCache} from "./GrammarCache.js";
import {PromptBuilder} from "./PromptBuilder.js";
import {QueueFullError, SequencePool} from "./SequencePool.js";

export interface ModelRuntimeOptions {
    modelPath: string;
    /** Parallel sequences (users served at once). */
    parallel: number;
    /** Context size of each sequence, in tokens; "auto" lets node-llama-cpp pick from memory. */
    contextSize: number | "auto";
    /** CPU threads for llama.cpp; set explicitly (the library's default oversubscribes small machines). */
    threads: number;
    /** Which backend; the binary is chosen in nativeBuild.ts, never by node-llama-cpp's own search. */
    gpu: GpuSetting;
    /** A GPU found without a KVShare-patched build for it: its stock binary, or the patched CPU build. */
    gpuFallback: GpuFallback;
    /** Queue limits, read live so an admin's change applies to the next request. */
    queueLimits(): {maxQueue: number; queueTimeoutMs: number; agingMs: number};
    /** Log llama.cpp warnings; off in tests. */
    verbose?: boolean;
    /** Model file load progress, 0..1 (node-llama-cpp's `onLoadProgress`). */
    onLoadProgress?: (progress: number) => void;
}

/**
 * The loaded model: one llama.cpp context with `parallel` sequences handed out by a pool (plus the
 * scratch sequence for KV computed on its own), the prompt builder (chat template) and a lazily created embedding
 * context. It knows nothing of sharing: the request pipeline composes the two.
 */
export class ModelRuntime {
    private embeddingContext: Promise<LlamaEmbeddingContext> | undefined;
    private embeddingQueue: Promise<unknown> = Promise.resolve();
    /** Embedding requests queued or running (a model switch waits for them too). */
    public embeddingsInFlight = 0;
    /** Aborts every request still on this runtime when it is retired (model switch past its grace period). */
    private readonly retirement = new AbortController();
    /** Structured output's grammars, built once per schema. */
    public readonly grammars: GrammarCache;

    private constructor(
        public readonly options: ModelRuntimeOptions,
        public readonly llama: Llama,
        public readonly model: LlamaModel,
        public readonly context: LlamaContext,
        public readonly pool: SequencePool,
        public readonly prompts: PromptBuilder,
        /**
         * A sequence outside the pool for KV computed on its own (shared prefixes), present when the
         * patched binary and the model allow KV editing (so it also says whether they do).
         */
        public readonly scratch: LlamaContextSequence | undefined,
        /** Why KV editing is off, when it is. */
        public readonly kvEditingUnavailableReason: string | undefined,
        /** The llama.cpp binary loaded (backend, patched or not, devices, and what is lost if anything). */
        public readonly build: LoadedBuild
    ) {
        this.grammars = new GrammarCache(
            llama,
            model,
            prompts.guard == null
                ? undefined
                : "Structured output is not available with this model: its vocabulary has no byte fallback, which llama.cpp's grammar sampling needs."
        );
    }

    /** Loads the model and creates its context; throws with llama.cpp's reason on failure. */
    public static async load(options: ModelRuntimeOptions): Promise<ModelRuntime> {
        const {llama, build} = await loadLlama({
            gpu: options.gpu,
            gpuFallback: options.gpuFallback,
            maxThreads: options.threads,
            logLevel: options.verbose ? LlamaLogLevel.warn : LlamaLogLevel.error
        });
        const model = await llama.loadModel({
            modelPath: options.modelPath,
            ...(options.onLoadProgress == null ? {} : {onLoadProgress: options.onLoadProgress})
        });
        // One extra sequence, outside the pool, computes KV on its own (shared prefixes); a unified KV stream lets cells be
        // copied between sequences (the patched binary honours kvUnified, the stock one ignores it).
        const context = await createKvEditingContext(model, {
            sequences: options.parallel + 1,
            contextSize: options.contextSize === "auto" ? undefined : options.contextSize,
            threads: options.threads
        });
        const sequences = Array.from({length: options.parallel}, () => context.getSequence());
        const support = getKvEditingSupport(context);
        const shift = checkKvShiftability(model, {context});
        // A stock binary chosen by policy says why (the notice names what to run), not only "stock binary".
        const unavailable = !support.kvEditingSupported
            ? build.patched
                ? support.reason
                : (build.notice ?? support.reason)
            : !shift.canShift
              ? shift.reason
              : undefined;
        const scratch = unavailable == null ? context.getSequence() : undefined;
        const pool = new SequencePool(sequences, options.queueLimits);
        return new ModelRuntime(options, llama, model, context, pool, new PromptBuilder(model), scratch, unavailable, build);
    }

    /** A stable, readable model id: the file name without `.gguf`. */
    public get modelId(): string {
        return path.basename(this.options.modelPath).replace(/\.gguf$/i, "");
    }

    public get contextSize(): number {
        return this.context.contextSize;
    }

    public get architecture(): string {
        return String(this.model.fileInfo.metadata.general?.architecture ?? "unknown");
    }

    /**
     * Embeds texts (or token ids, taken as they are) one after another on a dedicated embedding context
     * (created on first use, as large as a sequence's context). `signal` (the client gone, the time limit, a revoked
     * key) stops the work between inputs, as retiring or disposing the runtime does: a long request abandoned would
     * otherwise hold the model for minutes, and a shutdown wait for it.
     * @throws ContextOverflowError for an input longer than the context
     * @throws QueueFullError when as many embedding requests wait as chat requests may
     */
    public embed(inputs: ReadonlyArray<string | readonly Token[]>, signal?: AbortSignal): Promise<number[][]> {
        for (const input of inputs) {
            if (typeof input === "string") checkTextLength(input.length, this.contextSize);
            // +2: the embedding context adds BOS and EOS around the input.
            const tokens = (typeof input === "string" ? this.prompts.countTokens(input) : input.length) + 2;
            if (tokens >= this.contextSize) return Promise.reject(new ContextOverflowError(tokens, 0, this.contextSize));
        }
        if (this.retirement.signal.aborted) return Promise.reject(this.retirement.signal.reason);
        // One request embedding, and as many waiting behind it as may wait for a sequence.
        if (this.embeddingsInFlight > this.options.queueLimits().maxQueue)
            return Promise.reject(new QueueFullError(1, "The server is busy: the embedding queue is full. Retry shortly."));
        const stop = signal == null ? this.retirement.signal : AbortSignal.any([signal, this.retirement.signal]);
        this.embeddingsInFlight++;
        const work = this.embeddingQueue.then(async () => {
            this.embeddingContext ??= this.model.createEmbeddingContext({threads: this.options.threads, contextSize: this.contextSize});
            const embeddingContext = await this.embeddingContext;
            const vectors: number[][] = [];
            for (const input of inputs) {
                stop.throwIfAborted();
                // A copy: node-llama-cpp adds BOS and EOS to the array it is given.
                const resolved = typeof input === "string" ? this.prompts.safeText(input) : [...input];
                vectors.push([...(await withExclusiveDecode(this.llama, () => embeddingContext.getEmbeddingFor(resolved))).vector]);
            }
            // Stopped while the last input was embedded: no answer (a revoked key, the time limit, a shutdown).
            stop.throwIfAborted();
            return vectors;
        });
        this.embeddingQueue = work.catch(() => undefined);
        // Stopped (its client gone) while it waits or runs: its place in the queue is given up at once, not when its
        // turn would have come (it then ends at its first check); retries of abandoned requests would fill the queue.
        let onStop!: () => void;
        const stopped = new Promise<never>((_, reject) => {
            onStop = () => reject(stop.reason as Error);
            if (stop.aborted) onStop();
            else stop.addEventListener("abort", onStop, {once: true});
        });
        return Promise.race([work, stopped]).finally(() => {
            stop.removeEventListener("abort", onStop);
            this.embeddingsInFlight--;
        });
    }

    /**
     * Ends every request still running or queued on this runtime with `reason` (queued ones are refused,
     * running ones stop at the next token), before it is disposed.
     */
    public retire(reason: Error): void {
        this.retirement.abort(reason);
    }

    /** Aborted (with the reason given to {@link retire}) once this runtime is being let go. */
    public get retirementSignal(): AbortSignal {
        return this.retirement.signal;
    }

    public async dispose(): Promise<void> {
        // Queued and running embeddings stop at their next input (a request's vectors are all or nothing).
        if (!this.retirement.signal.aborted) this.retirement.abort(new Error("The model was unloaded while this request ran."));
        await this.embeddingQueue;
        if (this.embeddingContext != null) await (await this.embeddingContext.catch(() => undefined))?.dispose();
        await this.context.dispose();
        await this.model.dispose();
        await this.llama.dispose();
    }
}
