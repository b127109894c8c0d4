/**
 * `npm run bench:admission`: what admission (embed + retrieve + align) costs per request with many
 * cached prompts: N entries (10,000 by default) of about T tokens (2,000) in a real sqlite-vec store,
 * then paraphrase-like queries (a cached prompt with a few words changed).
 *   --entries N  --tokens T  --queries Q (200)  --top-k K (8)
 *
 * Prints, from one run over the same entries and queries (the paths take turns in blocks of 10
 * queries, so a change of machine load touches all alike):
 * 1. admission in the product before (the plain lexical embedding, an exact scan, every candidate
 *    aligned) and after (`LexicalEmbedder`, `CacheStore.nearest` and `alignCandidates` with the reuse
 *    bound as they are): p50/p95 of each stage, and whether the bound left the donor and the what-if
 *    frontier as they were;
 * 2. retrieval variants side by side: KNN p50/p95, recall@K against the exact float32 top-K (computed
 *    here by brute force), recall@1 (the prompt the query was made from comes first), the share of
 *    queries whose donor (most reusable tokens) and what-if frontier match the exact top-K's, and the
 *    admission total (embed + retrieve + align) p50.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import Database from "better-sqlite3";
import * as sqliteVec from "sqlite-vec";
import {alignTokens} from "../../main/sharing/align/index.js";
import {dot, LexicalEmbedder, normalizeInPlace} from "../../main/sharing/embed/index.js";
import {lexicalWords} from "../../main/sharing/embed/LexicalEmbedder.js";
import {alignCandidates} from "../../main/sharing/engine/candidates.js";
import {tinyStories, WordTokenizer} from "../../test/support/testData.js";
import {CacheStore, EXACT_SEARCH_LIMIT} from "../../main/sharing/store/index.js";
import {signCode} from "../../main/sharing/store/vectorIndex.js";
import {seededRandom} from "../../test/support/seededRandom.js";

const {values} = parseArgs({
    options: {
        entries: {type: "string", default: "10000"},
        tokens: {type: "string", default: "2000"},
        queries: {type: "string", default: "200"},
        "top-k": {type: "string", default: "8"}
    }
});
const entries = Number(values.entries);
const targetTokens = Number(values.tokens);
const queries = Number(values.queries);
const topK = Number(values["top-k"]);
const minRunLength = 4;

const random = seededRandom(7);
const stories = tinyStories();
const tokenizer = new WordTokenizer();
const storyTokens = stories.map((story) => tokenizer.encode(`${story}\n\n`).length);
const embedder = new LexicalEmbedder();
const smaller = [256, 128].map((dimensions) => new LexicalEmbedder({dimensions}));
const model = "sha256:bench-admission";
const scopes = ["global", "shared"];

/**
 * The lexical embedding as it was computed before: a feature string and a map update per feature
 * occurrence. Same vectors as `LexicalEmbedder` (checked below), the baseline of its speed.
 */
function plainLexicalEmbedding(text: string, dimensions: number): Float32Array {
    const hash32 = (s: string): number => {
        let h = 0x811c9dc5;
        for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
        h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
        h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
        return (h ^ (h >>> 16)) >>> 0;
    };
    const counts = new Map<string, number>();
    const add = (feature: string) => counts.set(feature, (counts.get(feature) ?? 0) + 1);
    const words = lexicalWords(text);
    for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        add(`w:${w}`);
        if (i + 1 < words.length) add(`b:${w} ${words[i + 1]!}`);
        const padded = [...`#${w}#`];
        for (let k = 0; k + 3 <= padded.length; k++) add(`c:${padded[k]}${padded[k + 1]}${padded[k + 2]}`);
    }
    const v = new Float32Array(dimensions);
    for (const [feature, count] of counts) {
        const h = hash32(feature);
        const value = (feature.startsWith("c:") ? 0.5 : 1) * (1 + Math.log(count));
        v[h % dimensions] = v[h % dimensions]! + ((h & 0x80000000) !== 0 ? -value : value);
    }
    return normalizeInPlace(v);
}

/** A prompt of about `targetTokens` tokens: stories drawn at random until long enough. */
function longPrompt(): string {
    let text = "";
    for (let count = 0; count < targetTokens;) {
        const pick = Math.floor(random() * stories.length);
        text += `${stories[pick]}\n\n`;
        count += storyTokens[pick]!;
    }
    return text;
}

const blob = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const pct = (list: number[], p: number) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(p * list.length))]!;
const ms = (value: number) => value.toFixed(2).padStart(6);

// --- fill: the product store, and the same vectors in the variants' tables beside it

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-admission-"));
const store = CacheStore.open({cacheDir: dir, embedder});
const variantsDb = new Database(path.join(dir, "variants.db"));
sqliteVec.load(variantsDb);
variantsDb.pragma("journal_mode = WAL");
const tables: Array<[name: string, column: string]> = [
    ["v_float", `float[${embedder.dimensions}] distance_metric=cosine`],
    ["v_int8", `int8[${embedder.dimensions}] distance_metric=cosine`],
    ["v_bit", `bit[${embedder.dimensions}]`],
    ...smaller.map((e): [string, string] => [`v_float${e.dimensions}`, `float[${e.dimensions}] distance_metric=cosine`])
];
for (const [name, column] of tables)
    // The float vector rides along as an auxiliary column, for the re-score of the quantized variants.
    variantsDb.exec(`CREATE VIRTUAL TABLE ${name} USING vec0(model_fingerprint TEXT PARTITION KEY, scope TEXT, embedding ${column}, +exact BLOB)`);
const insertInto = (table: string, wrap = "?") =>
    variantsDb.prepare(`INSERT INTO ${table} (rowid, model_fingerprint, scope, embedding, exact) VALUES (?, ?, 'global', ${wrap}, ?)`);
const inserts = {
    float: insertInto("v_float"),
    int8: insertInto("v_int8", "vec_int8(?)"),
    bit: insertInto("v_bit", "vec_bit(?)"),
    smaller: smaller.map((e) => insertInto(`v_float${e.dimensions}`))
};

/** int8 with each vector scaled to its own largest component: cosine ignores the scale, the range is fully used. */
function int8(v: Float32Array): Int8Array {
    let max = 0;
    for (const x of v) max = Math.max(max, Math.abs(x));
    return Int8Array.from(v, (x) => (max === 0 ? 0 : Math.round((x * 127) / max)));
}

const texts: string[] = [];
const vectors: Float32Array[] = [];
const tokensById = new Map<number, number[]>();
const fillStart = performance.now();
for (let i = 0; i < entries; i++) {
    const text = longPrompt();
    const tokens = tokenizer.encode(text);
    const vector = embedder.embedOne(text);
    texts.push(text);
    vectors.push(vector);
    // Index rows only: admission never reads snapshot files.
    const {id} = store.insert({modelFingerprint: model, scope: "global", promptText: text, tokens, snapshotFile: `snapshots/${i}.kvsnap`, bytes: 1}, vector);
    tokensById.set(id, tokens);
    const rowid = BigInt(id);
    variantsDb.transaction(() => {
        inserts.float.run(rowid, model, blob(vector), blob(vector));
        inserts.int8.run(rowid, model, blob(int8(vector)), blob(vector));
        inserts.bit.run(rowid, model, signCode(vector), blob(vector));
        smaller.forEach((e, k) => {
            const small = e.embedOne(text);
            inserts.smaller[k]!.run(rowid, model, blob(small), blob(small));
        });
    })();
}
const ids = [...tokensById.keys()];
console.log(
    `admission bench: ${entries} cached prompts of ~${targetTokens} tokens (lexical embedder, ${embedder.dimensions} dims), ` +
        `filled in ${((performance.now() - fillStart) / 1000).toFixed(1)} s; ${queries} paraphrase-like queries, top-${topK}; ` +
        `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`
);

// --- queries

interface Query {
    source: number;
    text: string;
    tokens: number[];
}
const queryList: Query[] = [];
for (let q = 0; q < queries; q++) {
    const index = Math.floor(random() * texts.length);
    const words = texts[index]!.split(" ");
    for (let e = 0; e < 12; e++) words[Math.floor(random() * words.length)] = "changed";
    const text = words.join(" ");
    queryList.push({source: ids[index]!, text, tokens: tokenizer.encode(text)});
}

/** A retrieved candidate: its entry id and cosine similarity. */
interface Hit {
    id: number;
    similarity: number;
}

/** The exact float32 top-K by brute force: the reference every variant is measured against. */
function exactTopK(vector: Float32Array): Hit[] {
    return vectors
        .map((v, i) => ({id: ids[i]!, similarity: dot(v, vector)}))
        .sort((a, b) => b.similarity - a.similarity || a.id - b.id)
        .slice(0, topK);
}

/** What admission makes of candidates: the donor's reusable tokens and the what-if frontier's. */
function outcome(hits: readonly Hit[], tokens: readonly number[]): {donor: number; frontier: string} {
    const aligned = alignCandidates(
        hits.map((hit) => ({tokens: tokensById.get(hit.id)!, similarity: hit.similarity, eligible: true})),
        tokens,
        {minRunLength}
    );
    // Reusable tokens only: the similarities of another embedder's space are not comparable.
    return {
        donor: aligned.best === undefined ? 0 : aligned.alignments[aligned.best]!.reusedTokens,
        frontier: aligned.frontier.map(([, reusable]) => reusable).join()
    };
}

// --- retrieval variants

const scopeSql = "model_fingerprint = ? AND scope IN ('global', 'shared')";
/** Exact KNN over one of the float tables. */
const floatKnn = (table: string) =>
    variantsDb.prepare<[Buffer, number, string], {rowid: number; distance: number}>(
        `SELECT rowid, distance FROM ${table} WHERE embedding MATCH ? AND k = ? AND ${scopeSql}`
    );
/** KNN over quantized vectors, k' candidates, then the exact cosine of each from its float vector. */
const rescoredKnn = (table: string, wrap: string) =>
    variantsDb.prepare<[Buffer, number, string, Buffer, number], {rowid: number; distance: number}>(
        `WITH coarse AS (SELECT rowid, exact FROM ${table} WHERE embedding MATCH ${wrap} AND k = ? AND ${scopeSql}) ` +
            `SELECT rowid, vec_distance_cosine(exact, ?) AS distance FROM coarse ORDER BY distance, rowid LIMIT ?`
    );
const toHits = (rows: Array<{rowid: number; distance: number}>): Hit[] => rows.map((row) => ({id: row.rowid, similarity: 1 - row.distance}));

interface Variant {
    name: string;
    /** The query's vector in this variant's space (embedding time is measured per variant). */
    embed(text: string): Float32Array;
    search(vector: Float32Array): Hit[];
}
const float = floatKnn("v_float");
const int8Rescored = rescoredKnn("v_int8", "vec_int8(?)");
const bitRescored = rescoredKnn("v_bit", "vec_bit(?)");
const variants: Variant[] = [
    {name: "float32 exact", embed: (t) => embedder.embedOne(t), search: (v) => toHits(float.all(blob(v), topK, model))},
    {
        name: "product (sign bits in memory)",
        embed: (t) => embedder.embedOne(t),
        search: (v) => store.nearest(model, scopes, v, topK, -1).map((hit) => ({id: hit.entry.id, similarity: hit.similarity}))
    },
    ...[4, 8].map((over): Variant => ({
        name: `int8 k'=${over}K + re-score`,
        embed: (t) => embedder.embedOne(t),
        search: (v) => toHits(int8Rescored.all(blob(int8(v)), over * topK, model, blob(v), topK))
    })),
    ...[4, 8, 16, 32].map((over): Variant => ({
        name: `bit k'=${over}K + re-score`,
        embed: (t) => embedder.embedOne(t),
        search: (v) => toHits(bitRescored.all(signCode(v), over * topK, model, blob(v), topK))
    })),
    ...smaller.map((e): Variant => {
        const knn = floatKnn(`v_float${e.dimensions}`);
        return {name: `float32 ${e.dimensions} dims exact`, embed: (t) => e.embedOne(t), search: (v) => toHits(knn.all(blob(v), topK, model))};
    })
];

// --- one pass over the queries: the product path before and after, then every variant, in turn

for (const query of queryList.slice(0, 20)) {
    if (plainLexicalEmbedding(query.text, embedder.dimensions).some((x, i) => x !== embedder.embedOne(query.text)[i]))
        throw new Error("the baseline embedding differs from LexicalEmbedder's");
}
const references = queryList.map((query) => {
    const exact = exactTopK(embedder.embedOne(query.text));
    return {exact, ...outcome(exact, query.tokens)};
});
/** The store as it searched before: an exact scan whatever the number of entries (same file, second connection). */
const exactStore = CacheStore.open({cacheDir: dir, embedder, exactSearchLimit: Infinity});
const before = {embed: [] as number[], retrieve: [] as number[], align: [] as number[], total: [] as number[]};
const after = {embed: [] as number[], retrieve: [] as number[], align: [] as number[], total: [] as number[]};
let sameAlignment = 0;
let aligned = 0;
let candidates = 0;
const variantStats = variants.map(() => ({knn: [] as number[], total: [] as number[], found: 0, first: 0, sameDonor: 0, sameFrontier: 0}));
// The product's first search beyond the exact-scan limit fills its in-memory sign-code index from the vec0 table.
const fillIndexStart = performance.now();
store.nearest(model, scopes, embedder.embedOne(queryList[0]!.text), topK, 0);
const indexFillMs = performance.now() - fillIndexStart;
// One warm-up pass, so every table is as cached as the others.
for (const query of queryList.slice(0, 10)) {
    exactStore.nearest(model, scopes, embedder.embedOne(query.text), topK, 0);
    store.nearest(model, scopes, embedder.embedOne(query.text), topK, 0);
    for (const variant of variants) variant.search(variant.embed(query.text));
}
/** Before: the plain embedding, an exact scan, every candidate aligned. */
function runBefore(query: Query): void {
    const t0 = performance.now();
    const vector = plainLexicalEmbedding(query.text, embedder.dimensions);
    const t1 = performance.now();
    const found = exactStore.nearest(model, scopes, vector, topK, 0);
    const t2 = performance.now();
    for (const candidate of found) alignTokens(candidate.entry.tokens, query.tokens, {minRunLength});
    const t3 = performance.now();
    before.embed.push(t1 - t0);
    before.retrieve.push(t2 - t1);
    before.align.push(t3 - t2);
    before.total.push(t3 - t0);
}

/** After: what the product does now. */
function runAfter(query: Query): void {
    const t0 = performance.now();
    const vector = embedder.embedOne(query.text);
    const t1 = performance.now();
    const found = store.nearest(model, scopes, vector, topK, 0);
    const t2 = performance.now();
    const bounded = alignCandidates(
        found.map((candidate) => ({tokens: candidate.entry.tokens, similarity: candidate.similarity, eligible: true})),
        query.tokens,
        {minRunLength}
    );
    const t3 = performance.now();
    after.embed.push(t1 - t0);
    after.retrieve.push(t2 - t1);
    after.align.push(t3 - t2);
    after.total.push(t3 - t0);
    afterFound.push({found: found.map((candidate) => ({tokens: candidate.entry.tokens, similarity: candidate.similarity})), bounded});
}
const afterFound: Array<{found: Array<{tokens: Int32Array; similarity: number}>; bounded: ReturnType<typeof alignCandidates>}> = [];

const variantHits: Hit[][][] = variants.map(() => []);
function runVariant(v: number, query: Query): void {
    const variant = variants[v]!;
    const stats = variantStats[v]!;
    const t0 = performance.now();
    const embedded = variant.embed(query.text);
    const t1 = performance.now();
    const hits = variant.search(embedded);
    const t2 = performance.now();
    alignCandidates(
        hits.map((hit) => ({tokens: tokensById.get(hit.id)!, similarity: hit.similarity, eligible: true})),
        query.tokens,
        {minRunLength}
    );
    const t3 = performance.now();
    stats.knn.push(t2 - t1);
    stats.total.push(t3 - t0);
    variantHits[v]!.push(hits);
}

// Each path runs a block of queries in a row (as admission runs in a server: its own tables and
// code warm), and the paths take turns block by block, a different one first each time, so a
// change of machine load spreads over all of them.
const paths: Array<(query: Query) => void> = [runBefore, runAfter, ...variants.map((_, v) => (query: Query) => runVariant(v, query))];
const block = 10;
for (let start = 0, round = 0; start < queryList.length; start += block, round++) {
    for (let k = 0; k < paths.length; k++) {
        const path = paths[(k + round) % paths.length]!;
        for (const query of queryList.slice(start, start + block)) path(query);
    }
}

// Outcomes, untimed: the bound against aligning every candidate, each variant against the exact top-K.
queryList.forEach((query, q) => {
    const {found, bounded} = afterFound[q]!;
    aligned += bounded.alignments.filter((a) => a !== undefined).length;
    candidates += found.length;
    const reference = alignCandidates(
        found.map((candidate) => ({...candidate, eligible: true, alignment: alignTokens(candidate.tokens, query.tokens, {minRunLength})})),
        query.tokens,
        {minRunLength}
    );
    if (reference.best === bounded.best && JSON.stringify(reference.frontier) === JSON.stringify(bounded.frontier)) sameAlignment++;
    variants.forEach((_, v) => {
        const hits = variantHits[v]![q]!;
        const stats = variantStats[v]!;
        const exact = references[q]!;
        const mine = new Set(hits.map((hit) => hit.id));
        stats.found += exact.exact.filter((hit) => mine.has(hit.id)).length;
        if (hits[0]?.id === query.source) stats.first++;
        const result = outcome(hits, query.tokens);
        if (result.donor === exact.donor) stats.sameDonor++;
        if (result.frontier === exact.frontier) stats.sameFrontier++;
    });
});
exactStore.close();

console.log(
    `\nadmission in the product, before (plain embedding, exact scan, every candidate aligned) and after (${entries > EXACT_SEARCH_LIMIT ? `sign bits scanned in memory, k'=8K, re-scored; the index filled from sqlite-vec once in ${indexFillMs.toFixed(0)} ms` : "exact scan up to " + EXACT_SEARCH_LIMIT + " entries"}; the reuse bound), per query, p50 / p95 ms:`
);
for (const stage of ["embed", "retrieve", "align", "total"] as const) {
    const b = before[stage];
    const a = after[stage];
    console.log(
        `  ${stage.padEnd(9)} before ${ms(pct(b, 0.5))} / ${ms(pct(b, 0.95))}   after ${ms(pct(a, 0.5))} / ${ms(pct(a, 0.95))}   before ÷ after (p50) ${(pct(b, 0.5) / pct(a, 0.5)).toFixed(1)}`
    );
}
console.log(
    `  The reuse bound aligned ${((100 * aligned) / Math.max(1, candidates)).toFixed(0)}% of the candidates, ` +
        `with the same donor and what-if frontier as aligning all in ${sameAlignment}/${queryList.length} queries`
);

const rows: string[][] = [];
const floatKnnP50 = pct(variantStats[0]!.knn, 0.5);
variants.forEach((variant, v) => {
    const stats = variantStats[v]!;
    const n = queryList.length;
    rows.push([
        variant.name,
        ms(pct(stats.knn, 0.5)),
        ms(pct(stats.knn, 0.95)),
        (floatKnnP50 / pct(stats.knn, 0.5)).toFixed(1).padStart(5),
        (stats.found / (topK * n)).toFixed(3),
        (stats.first / n).toFixed(2),
        (stats.sameDonor / n).toFixed(2),
        (stats.sameFrontier / n).toFixed(2),
        ms(pct(stats.total, 0.5))
    ]);
});
console.log(`\nretrieval variants (${scopeSql.replace("?", "model")}; recall against the exact float32 ${embedder.dimensions}-dim top-${topK}):`);
const header = ["variant", "KNN p50", "KNN p95", "speed", `recall@${topK}`, "recall@1", "donor=", "frontier=", "total p50"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`;
console.log(line(header));
for (const row of rows) console.log(line(row));
console.log(
    "  (ms; speed: float32 exact KNN p50 ÷ the variant's; donor= / frontier=: share of queries where the donor's reusable tokens / " +
        "the what-if frontier equal the exact top-K's; total: embed + KNN + align)"
);

store.close();
variantsDb.close();
fs.rmSync(dir, {recursive: true, force: true});
