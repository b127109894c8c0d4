/**
 * On llama.cpp's Vulkan backend, decodes of different contexts must not run at once (node-llama-cpp keeps a
 * private lock for its own decodes, as a workaround for a crash). Work that calls llama.cpp outside
 * node-llama-cpp's decode path (the deviation probe) and the app's other contexts (embeddings) take this one
 * queue per Llama instance on Vulkan, so the probe never decodes beside another context. Elsewhere it runs
 * the work at once.
 */
import type {Llama} from "node-llama-cpp";

const queues = new WeakMap<Llama, Promise<unknown>>();

/** Runs `work` alone among the app's decodes on this Llama instance (only on Vulkan; elsewhere at once). */
export function withExclusiveDecode<T>(llama: Llama, work: () => Promise<T>): Promise<T> {
    if (llama.gpu !== "vulkan") return work();
    const run = (queues.get(llama) ?? Promise.resolve()).then(work);
    queues.set(
        llama,
        run.catch(() => undefined)
    );
    return run;
}
