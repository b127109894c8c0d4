import {beforeEach, describe, expect, it, vi} from "vitest";
import {API_KEY_STORAGE, consumeKeyFromLocation, loadApiKey, saveApiKey} from "./apiKey.js";

describe("API key", () => {
    beforeEach(() => localStorage.clear());

    it("takes the key from #key=, stores it and strips it from the address bar", () => {
        const replaceState = vi.fn();
        const key = consumeKeyFromLocation({hash: "#key=sk-abc", pathname: "/", search: "?x=1"}, {replaceState, state: null}, localStorage);
        expect(key).toBe("sk-abc");
        expect(localStorage.getItem(API_KEY_STORAGE)).toBe("sk-abc");
        expect(replaceState).toHaveBeenCalledWith(null, "", "/?x=1");
    });

    it("keeps other fragment parameters", () => {
        const replaceState = vi.fn();
        consumeKeyFromLocation({hash: "#key=k&chat=2", pathname: "/app/", search: ""}, {replaceState, state: null}, localStorage);
        expect(replaceState).toHaveBeenCalledWith(null, "", "/app/#chat=2");
    });

    it("does nothing without a key in the fragment", () => {
        const replaceState = vi.fn();
        expect(consumeKeyFromLocation({hash: "", pathname: "/", search: ""}, {replaceState, state: null}, localStorage)).toBeNull();
        expect(replaceState).not.toHaveBeenCalled();
    });

    it("works against the real window location", () => {
        window.history.replaceState(null, "", "/#key=from-window");
        expect(consumeKeyFromLocation()).toBe("from-window");
        expect(window.location.hash).toBe("");
        expect(loadApiKey()).toBe("from-window");
    });

    it("saves, trims and clears", () => {
        saveApiKey("  k  ");
        expect(loadApiKey()).toBe("k");
        saveApiKey(null);
        expect(loadApiKey()).toBeNull();
    });
});
