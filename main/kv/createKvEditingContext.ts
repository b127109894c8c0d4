/** Context creation for KV editing: a unified KV stream. */
import type {LlamaContext, LlamaContextOptions, LlamaModel} from "node-llama-cpp";

/**
 * Create a context suitable for KV editing: `kvUnified: true` (honoured by the patched binary; the
 * stock binary ignores it), so cells can be shared between sequences, and at least 2 sequences.
 * `contextSize` is per sequence, as everywhere in node-llama-cpp.
 */
export async function createKvEditingContext(model: LlamaModel, options: LlamaContextOptions & {readonly sequences?: number} = {}): Promise<LlamaContext> {
    const sequences = Math.max(2, options.sequences ?? 2);
    return model.createContext({...options, sequences, kvUnified: true} as LlamaContextOptions);
}
