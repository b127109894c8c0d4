import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {ApiError} from "../backend/errors.js";
import {FakeBackend} from "../testing/fakes.js";
import {DASHBOARD_SCOPE_STORAGE, selectTokensSavedShare, useCacheStats} from "./useCacheStats.js";

const state = () => useCacheStats.getState();

describe("useCacheStats", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useCacheStats.setState({stats: null, error: null, loading: false});
    });
    afterEach(() => setBackend(null));

    it("loads the dashboard numbers", async () => {
        await state().load();
        expect(state().stats?.totals.requests).toBe(3);
        expect(selectTokensSavedShare(state())).toBeCloseTo(40 / 150);
        expect(state().loading).toBe(false);
    });

    it("does not overlap loads and reports failures", async () => {
        const first = state().load();
        const second = state().load();
        await Promise.all([first, second]);
        expect(backend.adminFake.count("cacheStats")).toBe(1);
        backend.adminFake.failing.set("cacheStats", new ApiError("Incorrect API key provided.", 401));
        await state().load();
        expect(state().error).toMatch(/API key/);
        expect(selectTokensSavedShare({stats: null})).toBe(0);
    });

    it("remembers the chosen scope for this tab, so a reload shows the same view", async () => {
        await state().setScope("group:ward-3");
        expect(sessionStorage.getItem(DASHBOARD_SCOPE_STORAGE)).toBe("group:ward-3");
        expect(backend.adminFake.calls.at(-1)?.input).toEqual({scope: "group:ward-3"});
        // A reloaded page starts from what the tab kept.
        vi.resetModules();
        const reloaded = await import("./useCacheStats.js");
        expect(reloaded.useCacheStats.getState().scope).toBe("group:ward-3");
        await state().setScope(null);
        expect(sessionStorage.getItem(DASHBOARD_SCOPE_STORAGE)).toBeNull();
    });
});
