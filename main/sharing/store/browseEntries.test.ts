/** The admin's list of cached prompts on a real index: a listing's pages hold still, and its search folds any script's case. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {CacheStore, type CacheEntryPage, type CacheEntryQuery} from "./index.js";

describe("browseEntries", () => {
    let dir: string;
    let clock: number;
    let store: CacheStore;
    let files = 0;

    /** Caches a prompt (no vector: the list does not need one). */
    const add = (text: string, scope = "global") => {
        clock += 1000;
        return store.insert(
            {modelFingerprint: "sha256:model", scope, promptText: text, tokens: [1, 2, 3], snapshotFile: `snapshots/${++files}.kvsnap`, bytes: 10},
            null
        );
    };
    const ids = (page: CacheEntryPage) => page.entries.map((e) => e.id);
    /** The query of the page after `page`, or before it, in the same listing. */
    const next = (page: CacheEntryPage, query: Partial<CacheEntryQuery> = {}): CacheEntryQuery => ({
        ...query,
        newest: page.newest,
        before: page.nextBefore!,
        limit: 10
    });
    const previous = (page: CacheEntryPage): CacheEntryQuery => ({newest: page.newest, after: page.previousAfter!, limit: 10});

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-browse-"));
        clock = 1_700_000_000_000;
        store = CacheStore.open({cacheDir: dir, embedder: {id: "test-embedder", dimensions: 8}, now: () => clock});
    });
    afterEach(() => {
        store.close();
        fs.rmSync(dir, {recursive: true, force: true});
    });

    it("pages a listing newest cached first: prompts cached, used or deleted meanwhile neither repeat nor go missing", () => {
        const before = Array.from({length: 25}, (_, i) => add(`Story ${i + 1}`).id);
        const first = store.browse({limit: 10});
        expect(first).toMatchObject({total: 25, start: 0, newer: 0, previousAfter: null});
        expect(ids(first)).toEqual(before.slice(15).reverse());

        // Between pages: two prompts cached, one of the next page and one of the first used, one of the last deleted.
        add("Story 26");
        add("Story 27");
        clock += 1000;
        store.touch(before[12]!);
        store.touch(before[20]!);
        store.purge(before[2]!);
        const second = store.browse(next(first));
        expect(second).toMatchObject({total: 24, start: 10, newer: 2});
        const third = store.browse(next(second));
        expect(third).toMatchObject({total: 24, start: 20, newer: 2, nextBefore: null});
        const listed = [...ids(first), ...ids(second), ...ids(third)];
        expect(listed).toEqual([...before].reverse().filter((id) => id !== before[2]));

        // Back, through the same listing: the first page as it was.
        expect(ids(store.browse(previous(third)))).toEqual(ids(second));
        expect(ids(store.browse(previous(second)))).toEqual(ids(first));
        // A new listing starts with the prompts cached since.
        const fresh = store.browse({limit: 10});
        expect(fresh).toMatchObject({total: 26, newer: 0});
        expect(fresh.entries.slice(0, 2).map((e) => e.preview)).toEqual(["Story 27", "Story 26"]);
    });

    it("gives the page before when a page's entries were all deleted, and counts only what matches", () => {
        const all = Array.from({length: 12}, (_, i) => add(`Note ${i + 1}`, i % 2 === 0 ? "user:ann" : "user:bob").id);
        const first = store.browse({scope: "user:ann", limit: 4});
        expect(first).toMatchObject({total: 6, start: 0});
        const second = store.browse({...next(first, {scope: "user:ann"}), limit: 4});
        expect(ids(second)).toEqual([all[2], all[0]]);
        add("Note 13", "user:bob");
        for (const id of ids(second)) store.purge(id);
        const emptied = store.browse({...next(first, {scope: "user:ann"}), limit: 4});
        expect(emptied).toMatchObject({total: 4, start: 4, entries: [], newer: 0, previousAfter: 0});
        expect(ids(store.browse({scope: "user:ann", newest: emptied.newest, after: 0, limit: 4}))).toEqual(ids(first));
    });

    it("finds a piece of text whatever its case, in any script, taking % and _ as they are", () => {
        const school = add("Lettre de L'ÉCOLE: la rentrée est lundi").id;
        const street = add("Die Hauptstraße ist gesperrt").id;
        const greek = add("ΣΟΦΟΣ Ο ΔΑΣΚΑΛΟΣ").id;
        const russian = add("Привет, МИР").id;
        const sure = add("Patient Ann: 100% sure_of it").id;
        // Texts of ASCII characters alone are searched in SQL, the others in JS: both fold alike.
        const asciiStreet = add("MAIN STRASSE CLOSED").id;
        const found = (text: string) => ids(store.browse({text, limit: 10}));
        expect(found("l'école")).toEqual([school]);
        expect(found("HAUPTSTRASSE")).toEqual([street]);
        expect(found("straße")).toEqual([asciiStreet, street]);
        expect(found("\u212Aelvin main")).toEqual([]);
        expect(found("n stra\u017F\u017Fe")).toEqual([asciiStreet]);
        expect(found("σοφος ο")).toEqual([greek]);
        expect(found("мир")).toEqual([russian]);
        expect(found("100% SURE_OF")).toEqual([sure]);
        expect(found("0%_s")).toEqual([]);
        expect(store.browse({text: "PATIENT", limit: 10})).toMatchObject({total: 1, newer: 0});
        // Accents and vowel marks aside, as a browser's find in page; marks alone hold no word and find nothing.
        const arabic = add("عَاصِمَة فرنسا").id;
        expect(found("LECOLE")).toEqual([]);
        expect(found("l'ecole")).toEqual([school]);
        expect(found("عاصمة")).toEqual([arabic]);
        expect(found("ـ")).toEqual([]);
        expect(found("́")).toEqual([]);
    });
});
