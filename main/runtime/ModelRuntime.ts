import path from "node:path";
import {getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaEmbeddingContext, type LlamaModel} from "node-llama-cpp";
import {generate} from "./generate.js";
import {PromptBuilder} from "./PromptBuilder.js";
import {SequencePool} from "./SequencePool.js";
import type {GenerationJob, GenerationResult} from "./types.js";

export interface ModelRuntimeOptions {
    modelPath: string;
    /** Parallel sequences (users served at once). */
    parallel: number;
    /** Context size of each sequence, in tokens; "auto" lets node-llama-cpp pick from memory. */
    contextSize: number | "auto";
    /** CPU threads for llama.cpp; set explicitly (the library's default oversubscribes small machines). */
    threads: number;
    gpu: "auto" | false;
    maxQueue: number;
    queueTimeoutMs: number;
    /** Log llama.cpp warnings; off in tests. */
    verbose?: boolean;
}

/**
 * The loaded model: one llama.cpp context with `parallel` sequences handed out by a pool, the prompt
 * builder (chat template) and a lazily created embedding context.
 */
export class ModelRuntime {
    private embeddingContext: Promise<LlamaEmbeddingContext> | undefined;
    private embeddingQueue: Promise<unknown> = Promise.resolve();

    private constructor(
        public readonly options: ModelRuntimeOptions,
        public readonly llama: Llama,
        public readonly model: LlamaModel,
        public readonly context: LlamaContext,
        public readonly pool: SequencePool,
        public readonly prompts: PromptBuilder
    ) {}

    /** Loads the model and creates its context; throws with llama.cpp's reason on failure. */
    public static async load(options: ModelRuntimeOptions): Promise<ModelRuntime> {
        const llama = await getLlama({
            gpu: options.gpu,
            build: "never",
            maxThreads: options.threads,
            logLevel: options.verbose ? LlamaLogLevel.warn : LlamaLogLevel.error
        });
        const model = await llama.loadModel({modelPath: options.modelPath});
        const context = await model.createContext({
            sequences: options.parallel,
            contextSize: options.contextSize === "auto" ? undefined : options.contextSize,
            threads: options.threads
        });
        const sequences = Array.from({length: options.parallel}, () => context.getSequence());
        const pool = new SequencePool(sequences, {maxQueue: options.maxQueue, queueTimeoutMs: options.queueTimeoutMs});
        return new ModelRuntime(options, llama, model, context, pool, new PromptBuilder(model));
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

    /** Waits for a sequence, generates, gives the sequence back. */
    public async run(job: GenerationJob): Promise<GenerationResult> {
        const lease = await this.pool.acquire(job.promptTokens, job.signal);
        try {
            return await generate(this.model, lease.sequence, job, lease.queueMs);
        } finally {
            lease.release();
        }
    }

    /** Embeds texts one after another on a dedicated embedding context (created on first use). */
    public embed(texts: readonly string[]): Promise<number[][]> {
        const work = this.embeddingQueue.then(async () => {
            this.embeddingContext ??= this.model.createEmbeddingContext({threads: this.options.threads});
            const embeddingContext = await this.embeddingContext;
            const vectors: number[][] = [];
            for (const text of texts)
                vectors.push([...(await embeddingContext.getEmbeddingFor(text)).vector]);
            return vectors;
        });
        this.embeddingQueue = work.catch(() => undefined);
        return work;
    }

    public async dispose(): Promise<void> {
        if (this.embeddingContext != null) await (await this.embeddingContext.catch(() => undefined))?.dispose();
        await this.context.dispose();
        await this.model.dispose();
        await this.llama.dispose();
    }
}
