/**
 * `npm run bench:admission`: what admission (embed + retrieve + align) costs per request with many
 * cached prompts: N entries (10,000 by default) of about T tokens (2,000) in a real sqlite-vec store,
 * then paraphrase-like queries (a cached prompt with a few words changed). Prints p50/p95 of each
 * stage and of the total.
 *   --entries N  --tokens T  --queries Q (200)  --top-k K (8)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {parseArgs} from "node:util";
import {alignTokens} from "../../main/sharing/align/index.js";
import {LexicalEmbedder} from "../../main/sharing/embed/index.js";
import {tinyStories, WordTokenizer} from "../../test/support/testData.js";
import {CacheStore} from "../../main/sharing/store/index.js";
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

const random = seededRandom(7);
const stories = tinyStories();
const tokenizer = new WordTokenizer();
const embedder = new LexicalEmbedder();
const model = "sha256:bench-admission";

/** A prompt of about `targetTokens` tokens: stories drawn at random until long enough. */
function longPrompt(): string {
    let text = "";
    while (tokenizer.encode(text).length < targetTokens) text += `${stories[Math.floor(random() * stories.length)]}\n\n`;
    return text;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-admission-"));
const store = CacheStore.open({cacheDir: dir, embedder});
const texts: string[] = [];
const fillStart = performance.now();
for (let i = 0; i < entries; i++) {
    const text = longPrompt();
    texts.push(text);
    // Index rows only: admission never reads snapshot files.
    store.insert(
        {modelFingerprint: model, scope: "global", promptText: text, tokens: tokenizer.encode(text), snapshotFile: `snapshots/${i}.kvsnap`, bytes: 1},
        embedder.embedOne(text)
    );
}
console.log(
    `admission bench: ${entries} cached prompts of ~${targetTokens} tokens (lexical embedder, ${embedder.dimensions} dims), ` +
        `filled in ${((performance.now() - fillStart) / 1000).toFixed(1)} s; ${queries} paraphrase-like queries, top-${topK}`
);

const stages = {embed: [] as number[], retrieve: [] as number[], align: [] as number[], total: [] as number[]};
for (let q = 0; q < queries; q++) {
    const words = texts[Math.floor(random() * texts.length)]!.split(" ");
    for (let e = 0; e < 12; e++) words[Math.floor(random() * words.length)] = "changed";
    const query = words.join(" ");
    const tokens = tokenizer.encode(query);
    const t0 = performance.now();
    const vector = embedder.embedOne(query);
    const t1 = performance.now();
    const found = store.nearest(model, ["global", "shared"], vector, topK, 0.3);
    const t2 = performance.now();
    for (const candidate of found) alignTokens(candidate.entry.tokens, tokens, {minRunLength: 4});
    const t3 = performance.now();
    stages.embed.push(t1 - t0);
    stages.retrieve.push(t2 - t1);
    stages.align.push(t3 - t2);
    stages.total.push(t3 - t0);
}
store.close();
fs.rmSync(dir, {recursive: true, force: true});

const pct = (list: number[], p: number) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(p * list.length))]!;
for (const [name, list] of Object.entries(stages))
    console.log(`${name.padEnd(9)} p50 ${pct(list, 0.5).toFixed(2).padStart(7)} ms   p95 ${pct(list, 0.95).toFixed(2).padStart(7)} ms`);
