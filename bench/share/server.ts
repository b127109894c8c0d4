/**
 * bench:share's modes and its HTTP client: a fresh server per mode and workload, one request asked
 * over the real API with its outcome read from the response (usage, timings, x_kvshare).
 */
import {mkdtempSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import type {ChatCompletion, Completion, KvShareRecord} from "../../shared/openai.js";
import type {Logger} from "../../main/common/log.js";
import {startServer, type RunningServer} from "../../main/app/startServer.js";
import {defaultSettings, type SharingSettings} from "../../main/config/settings.js";
import type {BenchRequest} from "./workloads.js";

export const API_KEY = "kvs-bench-share-0123456789abcdef";

export interface Mode {
    key: string;
    label: string;
    color: string;
    sharing: Partial<SharingSettings>;
}

export const MODES: Mode[] = [
    {key: "full", label: "full prefill", color: "#8c8c8c", sharing: {enabled: false, prefixReuse: false}},
    {key: "prefix", label: "exact prefix reuse", color: "#4e79a7", sharing: {enabled: false, prefixReuse: true}},
    {key: "kvs-r0", label: "KVShare, no recompute", color: "#f28e2b", sharing: {enabled: true, prefixReuse: true, recomputeBudget: 0}},
    {key: "kvshare", label: `KVShare, budget ${defaultSettings.sharing.recomputeBudget}`, color: "#59a14f", sharing: {enabled: true, prefixReuse: true}}
];

/** What one request gave back (the record without its per-position detail). */
export interface Outcome {
    id: string;
    role: BenchRequest["role"];
    text: string;
    finish: string | null;
    promptTokens: number;
    cachedTokens: number;
    completionTokens: number;
    ttftMs: number;
    promptMs: number;
    wallMs: number;
    kv: Omit<KvShareRecord, "segments" | "prompt_pieces" | "donor_pieces">;
}

/** Collects the server's warnings instead of printing them between table rows. */
export function collectingLogger(sink: string[]): Logger {
    return {info() {}, warn: (m) => sink.push(`warn: ${m}`), error: (m) => sink.push(`error: ${m}`)};
}

export async function withServer<T>(
    modelPath: string,
    threads: number,
    mode: Mode,
    warnings: string[],
    work: (server: RunningServer) => Promise<T>
): Promise<T> {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "kvshare-bench-share-"));
    const server = await startServer({
        modelPath,
        dataDir,
        apiKey: API_KEY,
        log: collectingLogger(warnings),
        overrides: {threads, parallel: 1, api: {port: 0, host: "127.0.0.1"}, sharing: mode.sharing}
    });
    try {
        return await work(server);
    } finally {
        await server.close();
        rmSync(dataDir, {recursive: true, force: true});
    }
}

export async function ask(server: RunningServer, request: BenchRequest, maxTokens: number): Promise<Outcome> {
    const pipeline = server.core.requirePipeline();
    const model = pipeline.runtime.modelId;
    const chat = request.api === "chat";
    const body = chat
        ? {
              model,
              messages: [...(request.system == null ? [] : [{role: "system", content: request.system}]), {role: "user", content: request.prompt}],
              max_tokens: maxTokens,
              temperature: 0
          }
        : {model, prompt: request.prompt, max_tokens: maxTokens, temperature: 0};
    const started = performance.now();
    const response = await fetch(`${server.url}/v1/${chat ? "chat/completions" : "completions"}`, {
        method: "POST",
        headers: {"content-type": "application/json", authorization: `Bearer ${API_KEY}`},
        body: JSON.stringify(body)
    });
    const wallMs = performance.now() - started;
    if (!response.ok) throw new Error(`request ${request.id}: HTTP ${response.status}: ${await response.text()}`);
    const json = (await response.json()) as ChatCompletion | Completion;
    await pipeline.settled(); // the served KV is in the cache before the next request
    const choice = json.choices[0];
    const text = choice == null ? "" : "message" in choice ? (choice.message.content ?? "") : choice.text;
    if (json.usage == null || json.timings == null || json.x_kvshare == null)
        throw new Error(`request ${request.id}: the response lacks usage, timings or x_kvshare`);
    const {segments: _s, prompt_pieces: _p, donor_pieces: _d, ...kv} = json.x_kvshare;
    if (json.usage.prompt_tokens_details.cached_tokens !== kv.reused_tokens)
        throw new Error(`request ${request.id}: cached_tokens ${json.usage.prompt_tokens_details.cached_tokens} ≠ x_kvshare.reused_tokens ${kv.reused_tokens}`);
    return {
        id: request.id,
        role: request.role,
        text,
        finish: choice?.finish_reason ?? null,
        promptTokens: json.usage.prompt_tokens,
        cachedTokens: json.usage.prompt_tokens_details.cached_tokens,
        completionTokens: json.usage.completion_tokens,
        ttftMs: json.timings.ttft_ms,
        promptMs: json.timings.prompt_ms,
        wallMs,
        kv
    };
}
