import type {Logger} from "../../common/log.js";
import type {Embedder} from "../embed/index.js";
import type {CacheStore} from "../store/index.js";

/**
 * After the admin switches embedders the vector index starts empty; this puts every cached prompt
 * back into it with the new embedder, in small batches, so the cache stays findable instead of
 * silently turning into dead weight. Stops quietly if the store is closed meanwhile.
 * @returns how many entries were re-embedded
 */
export async function reembedEntries(store: CacheStore, embedder: Embedder, log: Logger, batchSize = 32): Promise<number> {
    let done = 0;
    try {
        for (;;) {
            const batch = store.entriesWithoutEmbedding(batchSize);
            if (batch.length === 0) break;
            const vectors = await embedder.embed(batch.map((entry) => entry.promptText));
            batch.forEach((entry, i) => {
                const vector = vectors[i];
                if (vector != null && store.get(entry.id) != null) store.setEmbedding(entry.id, vector);
            });
            done += batch.length;
            // Yield between batches so requests are not held up by a large cache.
            await new Promise((resolve) => setImmediate(resolve));
        }
    } catch (error) {
        if (!/closed|not open/i.test((error as Error).message)) log.warn(`re-embedding the cache stopped: ${(error as Error).message}`);
    }
    if (done > 0) log.info(`re-embedded ${done} cached prompts with ${embedder.id}`);
    return done;
}
