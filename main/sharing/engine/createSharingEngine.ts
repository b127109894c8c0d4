import fs from "node:fs";
import path from "node:path";
import type {Logger} from "../../app/log.js";
import type {SharingSettings} from "../../config/settings.js";
import {modelFingerprint} from "../../kv/index.js";
import {mkdirOwnerOnly} from "../../config/ownerOnly.js";
import type {ModelRuntime} from "../../runtime/ModelRuntime.js";
import {LexicalEmbedder, LlamaEmbedder, type Embedder} from "../embed/index.js";
import {CacheStore} from "../store/index.js";
import {reembedEntries} from "./reembed.js";
import {SharingEngine} from "./SharingEngine.js";

/** Files above this size are fingerprinted by their GGUF metadata and tensor table, not a full hash. */
const fullHashLimitBytes = 256 * 1024 ** 2;

export function cacheDirOf(dataDir: string): string {
    return path.join(dataDir, "cache");
}

/**
 * Opens the cache index for a loaded model, runs the start-up consistency pass (rows without files,
 * files without rows) and attaches a sharing engine to the runtime.
 */
export async function createSharingEngine(options: {
    runtime: ModelRuntime;
    dataDir: string;
    settings: () => SharingSettings;
    log: Logger;
    /** Another model goes on serving from the same cache index while this one loads (a model switch). */
    anotherModelServes?: boolean;
}): Promise<{engine: SharingEngine; store: CacheStore; embedder: Embedder}> {
    const {runtime, log} = options;
    const cacheDir = cacheDirOf(options.dataDir);
    mkdirOwnerOnly(cacheDir);
    const embedder: Embedder = options.settings().embedder === "model"
        ? await LlamaEmbedder.create(runtime.model, {threads: runtime.options.threads, id: `model:${runtime.modelId}`, safeText: (text) => runtime.prompts.safeText(text)})
        : new LexicalEmbedder();
    const store = CacheStore.open({cacheDir, embedder});
    if (store.vectorIndexState === "rebuilt") void reembedEntries(store, embedder, log);
    // Beside a model still serving (a switch), its fresh in-flight donors have no file yet: spare them.
    const {removedEntries, deletedFiles} = store.consistencyPass({rowGraceMs: options.anotherModelServes === true ? 60_000 : 0});
    if (removedEntries.length + deletedFiles.length > 0)
        log.warn(`cache consistency pass: dropped ${removedEntries.length} entries without files, deleted ${deletedFiles.length} orphan files`);
    const size = fs.statSync(runtime.options.modelPath).size;
    const fingerprint = await modelFingerprint(runtime.options.modelPath, size > fullHashLimitBytes ? "metadata" : "file");
    const engine = new SharingEngine({
        context: runtime.context,
        scratch: runtime.scratch,
        editingUnavailableReason: runtime.kvEditingUnavailableReason == null ? undefined : `exact prefix reuse only: ${runtime.kvEditingUnavailableReason}`,
        store,
        embedder,
        modelFingerprint: fingerprint,
        cacheDir,
        settings: options.settings,
        detokenize: (tokens, lastTokens) => runtime.model.detokenize(tokens, false, lastTokens),
        sharedPrefixForms: (text) => [runtime.prompts.chat([{role: "system", content: text}]).tokens, runtime.prompts.completion(text).tokens],
        log
    });
    runtime.attachSharing(engine);
    await engine.refreshSharedPrefixes().catch((error: unknown) => log.warn(`could not prepare the shared prefixes: ${(error as Error).message}`));
    if (runtime.kvEditingUnavailableReason != null)
        log.warn(`KV editing is off (${runtime.kvEditingUnavailableReason}); sharing falls back to exact prefix reuse`);
    return {engine, store, embedder};
}
