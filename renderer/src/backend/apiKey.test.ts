import {beforeEach, describe, expect, it, vi} from "vitest";
import {API_KEY_STORAGE, LINK_KEY_REFUSED, LINK_KEY_REPLACED, checkApiKey, consumeKeyFromLocation, loadApiKey, saveApiKey, type KeyCheck} from "./apiKey.js";

/**
 * A server that takes `keys`, as the real one answers GET /kvshare/whoami: who the key signs in as (an issued key,
 * `issued-…`, as its holder; the app's own key as the app), 401 for any other key.
 */
function serverTaking(...keys: string[]): {fetch: typeof fetch; asked: string[]} {
    const asked: string[] = [];
    const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
        expect(String(input)).toBe("/kvshare/whoami");
        const key = new Headers(init?.headers).get("authorization")?.replace(/^Bearer /, "") ?? "";
        asked.push(key);
        const issued = key.startsWith("issued");
        return keys.includes(key)
            ? new Response(JSON.stringify({app: !issued, name: issued ? key : "admin", group: issued ? "class-4b" : null, keyRequired: true}), {status: 200})
            : new Response(JSON.stringify({error: {message: "Incorrect API key provided.", type: "authentication_error"}}), {status: 401});
    }) as typeof fetch;
    return {fetch: fetchImpl, asked};
}

const check =
    (server: {fetch: typeof fetch}) =>
    (key: string): Promise<KeyCheck> =>
        checkApiKey(key, server.fetch);

describe("API key", () => {
    beforeEach(() => localStorage.clear());

    it("takes the key from #key=, stores it and strips it from the address bar", async () => {
        const replaceState = vi.fn();
        const taken = consumeKeyFromLocation({hash: "#key=sk-abc", pathname: "/", search: "?x=1"}, {replaceState, state: null}, localStorage);
        // With no key stored, at once: nothing is asked of the server.
        expect(localStorage.getItem(API_KEY_STORAGE)).toBe("sk-abc");
        expect(replaceState).toHaveBeenCalledWith(null, "", "/?x=1");
        expect(await taken).toEqual({key: "sk-abc", notice: null});
    });

    it("keeps other fragment parameters", async () => {
        const replaceState = vi.fn();
        await consumeKeyFromLocation({hash: "#key=k&chat=2", pathname: "/app/", search: ""}, {replaceState, state: null}, localStorage);
        expect(replaceState).toHaveBeenCalledWith(null, "", "/app/#chat=2");
    });

    it("does nothing without a key in the fragment", async () => {
        const replaceState = vi.fn();
        expect(await consumeKeyFromLocation({hash: "", pathname: "/", search: ""}, {replaceState, state: null}, localStorage)).toEqual({
            key: null,
            notice: null
        });
        expect(replaceState).not.toHaveBeenCalled();
    });

    it("works against the real window location", async () => {
        window.history.replaceState(null, "", "/#key=from-window");
        expect((await consumeKeyFromLocation()).key).toBe("from-window");
        expect(window.location.hash).toBe("");
        expect(loadApiKey()).toBe("from-window");
    });

    it("keeps a stored key that works over a link's key the server refuses, and says so", async () => {
        saveApiKey("good");
        const server = serverTaking("good");
        const replaceState = vi.fn();
        const result = await consumeKeyFromLocation({hash: "#key=stale", pathname: "/", search: ""}, {replaceState, state: null}, localStorage, check(server));
        expect(result).toEqual({key: "good", notice: LINK_KEY_REFUSED});
        expect(loadApiKey()).toBe("good");
        expect(replaceState).toHaveBeenCalledWith(null, "", "/");
        expect(server.asked).toEqual(["stale", "good"]);
    });

    it("only offers a link's valid key while the stored one works (a link alone signs nobody in), saying whose it is", async () => {
        saveApiKey("good");
        const server = serverTaking("good", "issued-student");
        const result = await consumeKeyFromLocation(
            {hash: "#key=issued-student", pathname: "/", search: ""},
            {replaceState: vi.fn(), state: null},
            localStorage,
            check(server)
        );
        expect(result).toEqual({
            key: "good",
            notice: null,
            offer: {key: "issued-student", who: {app: false, name: "issued-student", group: "class-4b", keyRequired: true}}
        });
        expect(loadApiKey()).toBe("good");
        expect(server.asked).toEqual(["issued-student", "good"]);
    });

    it("replaces a stored key that no longer works with a link's key the server takes (a new key), or where it refuses both", async () => {
        saveApiKey("old");
        const rotated = serverTaking("new");
        const location = (key: string) => ({hash: `#key=${key}`, pathname: "/", search: ""});
        const history = {replaceState: vi.fn(), state: null};
        expect(await consumeKeyFromLocation(location("new"), history, localStorage, check(rotated))).toEqual({key: "new", notice: LINK_KEY_REPLACED});
        expect(loadApiKey()).toBe("new");
        expect(rotated.asked).toEqual(["new", "old"]);

        // Neither works: the link's key is taken, as without a stored key (the key screen asks for one).
        const neither = serverTaking();
        expect(await consumeKeyFromLocation(location("wrong"), history, localStorage, check(neither))).toEqual({key: "wrong", notice: null});
        expect(loadApiKey()).toBe("wrong");

        // The server cannot be asked: the link's key is offered, whose it is unknown.
        const down = (async () => {
            throw new TypeError("Failed to fetch");
        }) as typeof fetch;
        expect(await consumeKeyFromLocation(location("other"), history, localStorage, (key) => checkApiKey(key, down))).toEqual({
            key: "wrong",
            notice: null,
            offer: {key: "other", who: null}
        });
        expect(loadApiKey()).toBe("wrong");
    });

    it("offers a link's key over a stored key that no longer works where this browser keeps that key's chats", async () => {
        saveApiKey("revoked");
        const server = serverTaking("issued-new");
        const location = {hash: "#key=issued-new", pathname: "/", search: ""};
        const history = {replaceState: vi.fn(), state: null};
        expect(await consumeKeyFromLocation(location, history, localStorage, check(server), () => true)).toMatchObject({
            key: "revoked",
            notice: null,
            offer: {key: "issued-new"}
        });
        expect(loadApiKey()).toBe("revoked");
        // No chats to lose: taken at once.
        expect(await consumeKeyFromLocation(location, history, localStorage, check(server), () => false)).toEqual({
            key: "issued-new",
            notice: LINK_KEY_REPLACED
        });
    });

    it("checks a key with the server: taken (and whose it is), refused, or not known", async () => {
        expect(await checkApiKey("good", serverTaking("good").fetch)).toEqual({
            verdict: "accepted",
            who: {app: true, name: "admin", group: null, keyRequired: true}
        });
        expect(await checkApiKey("bad", serverTaking("good").fetch)).toEqual({verdict: "refused", who: null});
        // An issued key the server knows: taken (the page then offers its holder the chat alone).
        expect((await checkApiKey("issued-observer", serverTaking("good", "issued-observer").fetch)).verdict).toBe("accepted");
        expect(await checkApiKey("k", (async () => new Response("busy", {status: 503})) as typeof fetch)).toEqual({verdict: "unknown", who: null});
        // Taken, but the answer says nobody: whose it is stays unknown.
        expect(await checkApiKey("k", (async () => new Response("<html>", {status: 200})) as typeof fetch)).toEqual({verdict: "accepted", who: null});
    });

    it("saves, trims and clears", () => {
        saveApiKey("  k  ");
        expect(loadApiKey()).toBe("k");
        saveApiKey(null);
        expect(loadApiKey()).toBeNull();
    });
});
