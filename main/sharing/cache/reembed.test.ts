import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {silentLogger} from "../../common/log.js";
import {LexicalEmbedder} from "../embed/index.js";
import {CacheStore} from "../store/index.js";
import {reembedEntries} from "./reembed.js";

describe("re-embedding after an embedder change", () => {
    it("makes every cached prompt findable again with the new embedder", async () => {
        const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-reembed-"));
        const first = new LexicalEmbedder({dimensions: 384});
        const prompts = ["The cat sat on the mat.", "A dog ran in the park.", "How long does the fever last?"];
        let store = CacheStore.open({cacheDir, embedder: first});
        for (const [i, text] of prompts.entries()) {
            store.insert(
                {modelFingerprint: "m", scope: "global", promptText: text, tokens: [1, 2, 3, i], snapshotFile: `snapshots/${i}.kvsnap`, bytes: 10},
                first.embedOne(text)
            );
        }
        store.close();

        const second = new LexicalEmbedder({dimensions: 256});
        store = CacheStore.open({cacheDir, embedder: second});
        expect(store.vectorIndexState).toBe("rebuilt");
        const query = second.embedOne("How long does a fever last?");
        expect(store.nearest("m", ["global"], query, 3, 0.1)).toHaveLength(0);

        expect(await reembedEntries(store, second, silentLogger, 2)).toBe(3);
        const found = store.nearest("m", ["global"], query, 3, 0.1);
        expect(found[0]?.entry.promptText).toBe("How long does the fever last?");
        expect(store.entriesWithoutEmbedding()).toHaveLength(0);
        store.close();
    });
});
