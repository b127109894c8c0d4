import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {FakeBackend} from "../testing/fakes.js";
import {useAdminSettings} from "./useAdminSettings.js";

const state = () => useAdminSettings.getState();

describe("useAdminSettings", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useAdminSettings.setState({settings: null, error: null, saving: false, savedAt: null, lastCleared: null});
    });
    afterEach(() => setBackend(null));

    it("loads the settings and applies a valid change", async () => {
        await state().load();
        expect(state().settings?.sharing.similarityThreshold).toBe(0.3);
        expect(await state().patch({sharing: {similarityThreshold: 0.9}})).toBe(true);
        expect(state().settings?.sharing.similarityThreshold).toBe(0.9);
        expect(state().savedAt).not.toBeNull();
        expect(backend.adminFake.calls.at(-1)).toEqual({op: "patchSettings", input: {sharing: {similarityThreshold: 0.9}}});
    });

    it("keeps the old settings and shows the server's message when a change is refused", async () => {
        await state().load();
        expect(await state().patch({sharing: {similarityThreshold: 1.5}})).toBe(false);
        expect(state().error).toMatch(/between 0 and 1/);
        expect(state().settings?.sharing.similarityThreshold).toBe(0.3);
        expect(state().saving).toBe(false);
    });

    it("clears the cache and reports what was freed", async () => {
        expect(await state().clearCache()).toBe(true);
        expect(state().lastCleared).toEqual({removedEntries: 2, freedBytes: 1024});
    });
});
