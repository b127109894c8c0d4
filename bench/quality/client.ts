/**
 * The quality bench's HTTP client for one running server: greedy /v1/completions with a per-request
 * recompute choice (`x_kvshare` in the body), the admin settings patch used while seeding donors, and
 * two in-process helpers the HTTP API has no route for (the model's tokenizer, the donor cache's count).
 */
import {mkdtempSync, rmSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {startServer, type RunningServer} from "../../main/app/startServer.js";
import type {Logger} from "../../main/common/log.js";
import type {SharingSettings} from "../../main/config/settings.js";
import type {Completion, KvShareRecord} from "../../shared/openai.js";
import {defaultSharingSettings, type RecomputePolicy} from "../../shared/settings.js";

export const API_KEY = "kvs-bench-quality-0123456789abcdef";

/** The per-request body field this bench sends. */
export interface RecomputeChoice {
    recompute_policy: RecomputePolicy;
    recompute_budget: number;
    /** false: the target's own KV stays out of the cache, so every policy's request sees the same donor. */
    store: false;
}

/** The hit record without its per-position detail (kept out of the JSON: it is large and not scored). */
export type HitRecord = Omit<KvShareRecord, "segments" | "runs" | "prompt_pieces" | "donor_pieces">;

/** What one request gave back. */
export interface Answer {
    text: string;
    /** The output text tokenized by the served model (see {@link BenchClient.tokenize}). */
    tokens: number[];
    finish: string | null;
    promptTokens: number;
    completionTokens: number;
    ttftMs: number;
    promptMs: number;
    /** First token to last: `completionTokens - 1` token steps. */
    predictedMs: number;
    kv: HitRecord;
    /** Asked with `margins`: each output token's text offset (code points) and its top two log-probabilities' gap. */
    margins?: TokenMargin[];
}

/** How decided greedy decoding was at one output token: top-1 minus top-2 log-probability, nats. */
export interface TokenMargin {
    offset: number;
    margin: number;
}

/** Collects the server's warnings instead of printing them between table rows. */
export function collectingLogger(sink: string[]): Logger {
    return {info() {}, warn: (m) => sink.push(`warn: ${m}`), error: (m) => sink.push(`error: ${m}`)};
}

/** A server on its own temporary data folder, loopback, ephemeral port, parallel 1. */
export async function launch(modelPath: string, threads: number, sharing: Partial<SharingSettings>, warnings: string[]): Promise<BenchClient> {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "kvshare-bench-quality-"));
    try {
        const server = await startServer({
            modelPath,
            dataDir,
            apiKey: API_KEY,
            log: collectingLogger(warnings),
            overrides: {threads, parallel: 1, api: {port: 0, host: "127.0.0.1"}, sharing}
        });
        return new BenchClient(server, dataDir);
    } catch (error) {
        rmSync(dataDir, {recursive: true, force: true});
        throw error;
    }
}

/** One running server and the requests the bench makes of it. */
export class BenchClient {
    /** Requests sent with `store: false` whose prompt the server stored anyway (then removed here). */
    public storeIgnored = 0;

    public constructor(
        public readonly server: RunningServer,
        private readonly dataDir: string
    ) {}

    private get pipeline() {
        return this.server.core.requirePipeline();
    }

    public get modelId(): string {
        return this.pipeline.runtime.modelId;
    }

    /** Why KV editing is off (then every semantic hit falls back to prefix reuse), or undefined when on. */
    public get kvEditingOff(): string | undefined {
        const runtime = this.pipeline.runtime;
        return runtime.scratch == null ? (runtime.kvEditingUnavailableReason ?? "unknown reason") : undefined;
    }

    /** Donor cache entries (the admin stats route reports the same count, but over JSON for nothing). */
    public cacheEntries(): number {
        return this.pipeline.cache.count();
    }

    /**
     * Output text as the served model's tokens. The HTTP API has no tokenize route, so the bench asks the
     * in-process model; re-tokenized text equals the sampled tokens except where a piece could be
     * spelled two ways, and identical texts always give identical tokens.
     */
    public tokenize(text: string): number[] {
        return this.pipeline.runtime.model.tokenize(text).map(Number);
    }

    /** Greedy completion over HTTP; waits for the donor write, so the next request sees it. */
    public async complete(prompt: string, maxTokens: number, choice?: RecomputeChoice, options: {margins?: boolean} = {}): Promise<Answer> {
        const entriesBefore = this.cacheEntries();
        const body = {
            model: this.modelId,
            prompt,
            max_tokens: maxTokens,
            temperature: 0,
            ...(choice == null ? {} : {x_kvshare: choice}),
            ...(options.margins === true ? {logprobs: 2} : {})
        };
        const response = await fetch(`${this.server.url}/v1/completions`, {
            method: "POST",
            headers: {"content-type": "application/json", authorization: `Bearer ${API_KEY}`},
            body: JSON.stringify(body)
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
        const json = (await response.json()) as Completion;
        await this.pipeline.settled();
        if (json.usage == null || json.timings == null || json.x_kvshare == null) throw new Error("the response lacks usage, timings or x_kvshare");
        const {segments: _s, runs: _r, prompt_pieces: _p, donor_pieces: _d, ...kv} = json.x_kvshare;
        if (choice?.store === false && this.cacheEntries() > entriesBefore) this.unstore(prompt, kv.scope);
        const choiceOut = json.choices[0];
        const text = choiceOut?.text ?? "";
        return {
            text,
            tokens: this.tokenize(text),
            finish: choiceOut?.finish_reason ?? null,
            promptTokens: json.usage.prompt_tokens,
            completionTokens: json.usage.completion_tokens,
            ttftMs: json.timings.ttft_ms,
            promptMs: json.timings.prompt_ms,
            predictedMs: json.timings.predicted_ms,
            kv,
            ...(options.margins === true ? {margins: marginsOf(choiceOut?.logprobs)} : {})
        };
    }

    /**
     * Leaves the sequence holding an unrelated short prompt. The same target is asked again and again;
     * without this its own previous KV would be an exact prefix, and the engine (rightly) takes that
     * over any donor. Under `2 × minRunLength` tokens, it is never cached.
     */
    public async flush(): Promise<void> {
        await this.complete("The end.", 1, {recompute_policy: "none", recompute_budget: 0, store: false});
    }

    /**
     * While seeding, a huge `minGainTokens` keeps each donor from reusing an earlier one: donors hold
     * their own full-prefill KV, so what a target gets is the policy's doing, not an edited donor's.
     * Off again: the settings' default.
     */
    public async seeding(on: boolean): Promise<void> {
        const minGainTokens = on ? 1_000_000 : defaultSharingSettings.minGainTokens;
        const response = await fetch(`${this.server.url}/kvshare/settings`, {
            method: "PATCH",
            headers: {"content-type": "application/json", authorization: `Bearer ${API_KEY}`},
            body: JSON.stringify({sharing: {minGainTokens}})
        });
        if (!response.ok) throw new Error(`PATCH /kvshare/settings: HTTP ${response.status}: ${await response.text()}`);
    }

    public async close(): Promise<void> {
        try {
            await this.server.close();
        } finally {
            rmSync(this.dataDir, {recursive: true, force: true});
        }
    }

    /**
     * A server that does not read `store` yet caches the target: remove it again, so the next policy
     * asked for this target meets the same donor rather than an exact copy of itself.
     */
    private unstore(prompt: string, scope: string | undefined): void {
        const tokens = this.pipeline.runtime.prompts.completion(prompt).tokens;
        const entry = this.pipeline.cache.findExact([scope ?? "global"], tokens);
        if (entry == null) throw new Error("a store:false request grew the cache, but its prompt is not in it");
        this.pipeline.cache.remove(entry.id);
        this.storeIgnored++;
    }
}

/** Each output token's margin from a legacy `logprobs` object (top two per token; one alone: a certain token). */
function marginsOf(logprobs: Completion["choices"][number]["logprobs"] | undefined): TokenMargin[] {
    if (logprobs == null) return [];
    return logprobs.text_offset.map((offset, i) => {
        const [first = -Infinity, second = -Infinity] = Object.values(logprobs.top_logprobs[i] ?? {}).sort((a, b) => b - a);
        return {offset, margin: first - second};
    });
}
