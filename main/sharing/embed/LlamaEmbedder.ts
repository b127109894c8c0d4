/**
 * Embeddings from a GGUF model through node-llama-cpp (the "real" path when the admin configures
 * an embedding model such as all-MiniLM-L6-v2 or bge-small).
 *
 * Wraps one `LlamaEmbeddingContext`. Evaluation is serialised by node-llama-cpp's own lock on the
 * context, so `embed` runs its texts one after another. Vectors are L2-normalised here because
 * llama.cpp returns them raw for most pooling types and the store compares by dot product.
 */
import type {LlamaEmbeddingContext, LlamaModel, Token} from "node-llama-cpp";
import {withExclusiveDecode} from "../../kv/index.js";
import {normalizeInPlace, type Embedder} from "./types.js";

/** Options of {@link LlamaEmbedder.create}. */
export interface LlamaEmbedderOptions {
    /** CPU threads for the embedding context. Set it explicitly: node-llama-cpp defaults to 6,
     * which spin-waits badly on small machines (see the models README). Default 1. */
    readonly threads?: number;
    /** Context size in tokens (default: the model's training context, at most 2048). Longer texts
     * are shortened to fit (see {@link LlamaEmbedder.embed}). */
    readonly contextSize?: number;
    /** Identity of the vector space; pass something derived from the model's fingerprint so a
     * different model with the same file name is not mistaken for this one. Default:
     * `llama:<file name>:<dimensions>`. */
    readonly id?: string;
    /** Makes text safe for the model's tokenizer (see main/runtime/VocabGuard.ts); default: unchanged. */
    readonly safeText?: (text: string) => string;
}

/** {@link Embedder} backed by a node-llama-cpp embedding context. Call {@link dispose} when done. */
export class LlamaEmbedder implements Embedder {
    readonly id: string;
    readonly dimensions: number;
    /** Largest token count passed to the context (its size minus room for BOS/EOS). */
    readonly maxInputTokens: number;

    private constructor(
        private readonly model: LlamaModel,
        private readonly context: LlamaEmbeddingContext,
        id: string,
        contextSize: number,
        private readonly safeText: (text: string) => string
    ) {
        this.id = id;
        this.dimensions = model.embeddingVectorSize;
        // getEmbeddingFor adds BOS/EOS when the vocabulary wants them and rejects inputs ≥ contextSize.
        this.maxInputTokens = Math.max(1, contextSize - 3);
    }

    /** Create an embedding context on `model` (which stays owned by the caller). */
    static async create(model: LlamaModel, options: LlamaEmbedderOptions = {}): Promise<LlamaEmbedder> {
        const contextSize = options.contextSize ?? Math.min(model.trainContextSize, 2048);
        const context = await model.createEmbeddingContext({threads: options.threads ?? 1, contextSize});
        const id = options.id ?? `llama:${model.filename ?? "model"}:${model.embeddingVectorSize}`;
        return new LlamaEmbedder(model, context, id, contextSize, options.safeText ?? ((text) => text));
    }

    /**
     * Embed each text. A text longer than the context keeps its first and last halves (dropping the
     * middle): prompts are most distinctive at the start (instructions) and the end (the question).
     */
    async embed(texts: readonly string[]): Promise<Float32Array[]> {
        const out: Float32Array[] = [];
        for (const text of texts) {
            let tokens: Token[] = this.model.tokenize(this.safeText(text));
            if (tokens.length > this.maxInputTokens) {
                const head = Math.ceil(this.maxInputTokens / 2);
                tokens = [...tokens.slice(0, head), ...tokens.slice(tokens.length - (this.maxInputTokens - head))];
            }
            const v = new Float32Array(this.dimensions);
            if (tokens.length > 0) {
                const {vector} = await withExclusiveDecode(this.context.model.llama, () => this.context.getEmbeddingFor(tokens));
                if (vector.length !== this.dimensions) throw new Error(`embedding has ${vector.length} dimensions, expected ${this.dimensions}`);
                v.set(vector);
            }
            out.push(normalizeInPlace(v));
        }
        return out;
    }

    /** Free the embedding context (not the model). */
    async dispose(): Promise<void> {
        await this.context.dispose();
    }
}
