import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {ApiError} from "../backend/errors.js";
import {FakeBackend} from "../testing/fakes.js";
import {cachedPrompt, resetCachedPrompts} from "../testing/cachedPrompts.js";
import {CACHED_PROMPTS_PAGE_SIZE, useCachedPrompts} from "./useCachedPrompts.js";

const state = () => useCachedPrompts.getState();

/** A cached prompt of `scope`; a larger id was cached later (the list's order). */
const prompt = (id: number, preview: string, scope = "global") => cachedPrompt(id, preview, {scope});

describe("useCachedPrompts", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        resetCachedPrompts();
    });
    afterEach(() => setBackend(null));

    it("lists the newest cached first, a page at a time, and keeps the scopes it saw", async () => {
        backend.adminFake.cachedPrompts = [prompt(1, "Once upon a time", "user:nurse-a"), prompt(2, "There was a cat", "shared")];
        await state().load();
        expect(backend.adminFake.calls.at(-1)).toEqual({op: "listCachedPrompts", input: {limit: CACHED_PROMPTS_PAGE_SIZE}});
        expect(state().page?.entries.map((e) => e.id)).toEqual([2, 1]);
        expect(state().page).toMatchObject({total: 2, start: 0, nextCursor: null, previousCursor: null, newer: 0});
        expect(state().scopes).toEqual(["shared", "user:nurse-a"]);
        expect(state().loadedAt).toBeGreaterThan(0);
        expect(state().loading).toBe(false);

        // A scope chosen lists its entries alone; the others stay choosable.
        await state().setScope("shared");
        expect(backend.adminFake.calls.at(-1)?.input).toEqual({scope: "shared", limit: CACHED_PROMPTS_PAGE_SIZE});
        expect(state().page?.entries.map((e) => e.id)).toEqual([2]);
        expect(state().scopes).toEqual(["shared", "user:nurse-a"]);
    });

    it("searches the trimmed text from the first page, whatever its case, and sends none for blanks", async () => {
        backend.adminFake.cachedPrompts = Array.from({length: 30}, (_, i) => prompt(i + 1, i === 4 ? "Patient Dee Moss has the fever" : `Story ${i + 1}`));
        await state().load();
        await state().goTo(state().page!.nextCursor);
        expect(state().page?.entries).toHaveLength(10);
        await state().search("  the FEVER ");
        expect(backend.adminFake.calls.at(-1)?.input).toEqual({text: "the FEVER", limit: CACHED_PROMPTS_PAGE_SIZE});
        expect(state().page?.entries.map((e) => e.id)).toEqual([5]);
        await state().search("   ");
        expect(backend.adminFake.calls.at(-1)?.input).toEqual({limit: CACHED_PROMPTS_PAGE_SIZE});
        expect(state().page?.total).toBe(30);
    });

    it("shows the latest search's answer when an earlier one comes back after it", async () => {
        backend.adminFake.cachedPrompts = [prompt(1, "the rare fever"), prompt(2, "the garden")];
        const plain = backend.admin;
        const release = backend.holdAnswers("listCachedPrompts");
        const slow = state().search("fever");
        backend.admin = plain;
        await state().search("garden");
        release();
        await slow;
        expect(state().text).toBe("garden");
        expect(state().page?.entries.map((e) => e.id)).toEqual([2]);
        expect(state().loading).toBe(false);
    });

    it("deletes one, reloads its page, and says which; a page emptied by it gives way to the one before", async () => {
        backend.adminFake.cachedPrompts = Array.from({length: CACHED_PROMPTS_PAGE_SIZE + 1}, (_, i) => prompt(i + 1, `Prompt number ${i + 1}`));
        await state().load();
        await state().goTo(state().page!.nextCursor);
        const last = state().page!.entries[0]!;
        expect(last.id).toBe(1);
        expect(await state().remove(last)).toBe(true);
        expect(backend.adminFake.calls.find((c) => c.op === "deleteCachedPrompt")?.input).toEqual({id: "1"});
        expect(state().deleted).toEqual(last);
        expect(state().page?.start).toBe(0);
        expect(state().page?.entries).toHaveLength(CACHED_PROMPTS_PAGE_SIZE);
        expect(state().page?.entries.some((e) => e.id === 1)).toBe(false);
        // The next change of the list forgets it.
        await state().search("Prompt");
        expect(state().deleted).toBeNull();
    });

    it("says a prompt was deleted meanwhile when it is gone already, and takes its row away", async () => {
        backend.adminFake.cachedPrompts = [prompt(1, "the rare fever"), prompt(2, "the garden")];
        await state().load();
        // Another window deletes it first.
        backend.adminFake.cachedPrompts = [prompt(2, "the garden")];
        expect(await state().remove(state().page!.entries[1]!)).toBe(false);
        expect(state().deleteError).toMatch(/^That prompt was no longer cached: it was deleted meanwhile/);
        expect(state().deleted).toBeNull();
        expect(state().page?.entries.map((e) => e.id)).toEqual([2]);
    });

    it("shows the server's message for a marked shared prefix, keeping it listed", async () => {
        backend.adminFake.cachedPrompts = [prompt(1, "You are the clinic's assistant", "shared")];
        await state().load();
        expect(await state().remove(state().page!.entries[0]!)).toBe(false);
        expect(state().deleteError).toMatch(/unmark it in the settings/);
        expect(state().deleted).toBeNull();
        expect(state().deleting).toBe(false);
        expect(state().page?.total).toBe(1);
    });

    it("reports a load the server cannot answer (no model loaded)", async () => {
        backend.adminFake.failing.set(
            "listCachedPrompts",
            new ApiError("The cached prompts can be listed once a model is loaded; retry when it is ready.", 503, "server_error", "model_unavailable")
        );
        await state().load();
        expect(state().error).toMatch(/once a model is loaded/);
        expect(state().loading).toBe(false);
        backend.adminFake.failing.clear();
        await state().load();
        expect(state().error).toBeNull();
        expect(state().page).toEqual({total: 0, start: 0, entries: [], nextCursor: null, previousCursor: null, newer: 0});
    });
    it("shows no rows after a failed search: those listed were the last search's", async () => {
        backend.adminFake.cachedPrompts = [prompt(1, "the rare fever"), prompt(2, "the garden")];
        await state().search("garden");
        expect(state().page?.entries.map((e) => e.id)).toEqual([2]);
        backend.adminFake.failing.set("listCachedPrompts", new ApiError("'text' must be at most 500 characters.", 400, "invalid_request_error"));
        await state().search("x".repeat(600));
        expect(state().error).toMatch(/at most 500 characters/);
        expect(state().page).toBeNull();
    });

    it("pages one listing while prompts are cached and used, none repeated or missed, and counts those cached since", async () => {
        backend.adminFake.cachedPrompts = Array.from({length: 30}, (_, i) => prompt(i + 1, `Story ${i + 1}`));
        await state().load();
        const first = state().page!.entries.map((e) => e.id);
        // Two prompts are cached, and an old one is reused, before the next page.
        backend.adminFake.cachedPrompts = [
            ...backend.adminFake.cachedPrompts.map((p) => (p.id === 5 ? {...p, lastUsedAt: Date.now(), hits: 1} : p)),
            prompt(31, "Story 31"),
            prompt(32, "Story 32")
        ];
        await state().goTo(state().page!.nextCursor);
        expect(state().page).toMatchObject({start: 20, total: 30, newer: 2, nextCursor: null});
        expect([...first, ...state().page!.entries.map((e) => e.id)]).toEqual(Array.from({length: 30}, (_, i) => 30 - i));
        // Back to the first page of the same listing, as it was; then a new listing starts with the newest.
        await state().goTo(state().page!.previousCursor);
        expect(state().page?.entries.map((e) => e.id)).toEqual(first);
        await state().goTo(null);
        expect(state().page).toMatchObject({start: 0, total: 32, newer: 0});
        expect(state().page?.entries[0]?.id).toBe(32);
    });

    it("starts afresh from the first page when the server no longer takes the cursor", async () => {
        backend.adminFake.cachedPrompts = [prompt(1, "the rare fever"), prompt(2, "the garden")];
        useCachedPrompts.setState({cursor: "not-a-cursor"});
        await state().load();
        expect(state().error).toBeNull();
        expect(state().cursor).toBeNull();
        expect(state().page?.entries.map((e) => e.id)).toEqual([2, 1]);
    });
});
