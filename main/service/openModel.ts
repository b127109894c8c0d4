import fs from "node:fs";
import type {LlamaModel} from "node-llama-cpp";
import type {Logger} from "../common/log.js";
import type {Settings} from "../config/settings.js";
import type {RequestLog} from "../insights/RequestLog.js";
import {modelFingerprint, modelLayerCount} from "../kv/index.js";
import {describeBuild} from "../runtime/nativeBuild.js";
import {ModelRuntime} from "../runtime/ModelRuntime.js";
import {cacheDirOf, DonorCache, fullHashLimitBytes} from "../sharing/cache/DonorCache.js";
import {LexicalEmbedder, LlamaEmbedder, type Embedder} from "../sharing/embed/index.js";
import {ScratchSequence} from "../sharing/engine/ScratchSequence.js";
import {SharingEngine} from "../sharing/engine/SharingEngine.js";
import {RequestPipeline} from "./RequestPipeline.js";

export interface OpenModelOptions {
    modelPath: string;
    /** The live settings (read per request where they may change). */
    settings(): Settings;
    dataDir: string;
    log: Logger;
    requestLog?: RequestLog;
    verbose?: boolean;
    onLoadProgress?: (progress: number) => void;
    /** Another model goes on serving from the same cache index while this one loads (a model switch). */
    anotherModelServes?: boolean;
}

/**
 * Loads a model and everything that serves it: the runtime (context, sequences), its donor cache and
 * sharing engine, and the request pipeline over them. On failure nothing stays loaded.
 */
export async function openModel(options: OpenModelOptions): Promise<RequestPipeline> {
    const {log} = options;
    const settings = options.settings();
    const runtime = await ModelRuntime.load({
        modelPath: options.modelPath,
        parallel: settings.parallel,
        contextSize: settings.contextSize,
        threads: settings.threads,
        gpu: settings.gpu,
        gpuFallback: settings.gpuFallback,
        queueLimits: () => options.settings().limits,
        verbose: options.verbose ?? false,
        ...(options.onLoadProgress == null ? {} : {onLoadProgress: options.onLoadProgress})
    });
    log.info(`llama.cpp: ${describeBuild(runtime.build)}`);
    if (runtime.build.notice != null) log.warn(`llama.cpp build: ${runtime.build.notice}`);
    let cache: DonorCache | undefined;
    try {
        const sharingSettings = () => options.settings().sharing;
        const embedder: Embedder =
            sharingSettings().embedder === "model"
                ? await LlamaEmbedder.create(runtime.model, {
                      threads: runtime.options.threads,
                      id: `model:${runtime.modelId}`,
                      safeText: (text) => runtime.prompts.safeText(text)
                  })
                : new LexicalEmbedder();
        const size = fs.statSync(options.modelPath).size;
        const fingerprint = await modelFingerprint(options.modelPath, size > fullHashLimitBytes ? "metadata" : "file");
        const scratch = runtime.scratch == null ? undefined : new ScratchSequence(runtime.scratch);
        cache = DonorCache.open({
            cacheDir: cacheDirOf(options.dataDir),
            embedder,
            modelFingerprint: fingerprint,
            context: runtime.context,
            budgets: () => sharingSettings(),
            sharedPrefixSettings: () => ({texts: sharingSettings().sharedPrefixes, minRunLength: sharingSettings().minRunLength}),
            sharedPrefixForms: (text) => [runtime.prompts.chat([{role: "system", content: text}]).tokens, runtime.prompts.completion(text).tokens],
            ...(scratch == null ? {} : {prefill: (tokens) => scratch.prefill(tokens)}),
            log,
            anotherModelServes: options.anotherModelServes ?? false
        });
        const engine = new SharingEngine({
            context: runtime.context,
            kvEditing: scratch != null,
            ...(runtime.kvEditingUnavailableReason == null ? {} : {editingUnavailableReason: `exact prefix reuse only: ${runtime.kvEditingUnavailableReason}`}),
            cache,
            embedder,
            settings: sharingSettings,
            detokenize: (tokens, lastTokens) => runtime.model.detokenize(tokens, false, lastTokens),
            busy: () => runtime.pool.queuedCount > 0,
            serving: () => runtime.pool.busyCount > 0,
            ...(scratch == null ? {} : {probe: (tokens) => scratch.probe(tokens, probeLayerOf(runtime.model))}),
            log
        });
        await cache.refreshSharedPrefixes().catch((error: unknown) => log.warn(`could not prepare the shared prefixes: ${(error as Error).message}`));
        if (runtime.kvEditingUnavailableReason != null)
            log.warn(`KV editing is off (${runtime.kvEditingUnavailableReason}); sharing falls back to exact prefix reuse`);
        return new RequestPipeline(runtime, engine, cache, sharingSettings, options.requestLog);
    } catch (error) {
        cache?.close();
        await runtime.dispose().catch(() => undefined);
        throw error;
    }
}

/**
 * The layer deviation probes stop after: layer 1 (KVShare's check layer; its V already reflects each token's
 * context through layer 0's attention), or 0 in a one-layer model.
 */
function probeLayerOf(model: LlamaModel): number {
    return Math.max(0, Math.min(1, (modelLayerCount(model) ?? 2) - 1));
}
