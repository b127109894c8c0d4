import {WHOAMI_PATH} from "./whoami.js";

/** Where the API key of the served UI is kept between visits. */
export const API_KEY_STORAGE = "kvshare.apiKey";

export function loadApiKey(storage: Storage = localStorage): string | null {
    try {
        const key = storage.getItem(API_KEY_STORAGE);
        return key && key.trim() !== "" ? key : null;
    } catch {
        return null;
    }
}

export function saveApiKey(key: string | null, storage: Storage = localStorage): void {
    try {
        if (key === null || key.trim() === "") storage.removeItem(API_KEY_STORAGE);
        else storage.setItem(API_KEY_STORAGE, key.trim());
    } catch {
        // Storage can be unavailable (private mode); the key then lives for this page only.
    }
}

/** What the server makes of a key: taken, refused (401/403), or not known (not reached, another failure). */
export type KeyVerdict = "accepted" | "refused" | "unknown";

/**
 * Asks the server of this page whether it takes `key` (GET /kvshare/whoami, which any valid key may ask): the app's
 * own key and an issued one (a student's, which the page offers the chat alone) are both accepted; an unknown,
 * revoked or mistyped key is refused (401).
 */
export async function checkApiKey(key: string, fetchImpl: typeof fetch = (input, init) => globalThis.fetch(input, init)): Promise<KeyVerdict> {
    try {
        const response = await fetchImpl(WHOAMI_PATH, {headers: {authorization: `Bearer ${key.trim()}`}});
        // Read to the end: the connection is then free for the next request.
        await response.text().catch(() => "");
        if (response.ok) return "accepted";
        return response.status === 401 || response.status === 403 ? "refused" : "unknown";
    } catch {
        return "unknown";
    }
}

/** Said once where a `#key=` link brought a key the server refused while the saved one still works. */
export const LINK_KEY_REFUSED = "The link's key was not accepted; still signed in with the saved key.";

/**
 * Said once where a `#key=` link signed in with another key than the one saved: a link is an explicit sign-in (a
 * student opening their own link on a shared computer), and what this browser kept for the key before is not theirs.
 */
export const LINK_KEY_REPLACED = "Signed in with the link's key. The key saved before, and the chats this browser kept with it, are forgotten here.";

/** What a `#key=` link came to: the key to use (null: the link had none) and what to tell the user, if anything. */
export interface KeyFromLocation {
    key: string | null;
    notice: string | null;
}

/**
 * The CLI prints the UI as `http://127.0.0.1:PORT/#key=KEY`, and a teacher hands each student such a link with the
 * student's own key. Takes the key from the fragment, stores it and strips it from the address bar so it is not
 * left in history or screenshots.
 *
 * The stored key is shared by every tab of the browser: a stale link (an old key, from history or an old
 * message) opened while a working key is stored would sign every tab out on its next request. So where a
 * different key is stored, the link's key replaces it only if the server takes it (or cannot be asked), or
 * if the server refuses the stored one too; otherwise the stored key stays, and `notice` says so. A link's key
 * the server takes replaces the stored one whichever kind each is (app or issued): the link is an explicit
 * sign-in, and `notice` says that the key before is gone. With no stored key (or the same one), the link's key
 * is stored at once, before anything is awaited.
 */
export async function consumeKeyFromLocation(
    location: Pick<Location, "hash" | "pathname" | "search"> = window.location,
    history: Pick<History, "replaceState" | "state"> = window.history,
    storage: Storage = localStorage,
    check: (key: string) => Promise<KeyVerdict> = checkApiKey
): Promise<KeyFromLocation> {
    const hash = location.hash.startsWith("#") ? location.hash.slice(1) : location.hash;
    if (hash === "") return {key: null, notice: null};
    const params = new URLSearchParams(hash);
    const fromLink = params.get("key")?.trim();
    if (fromLink === undefined || fromLink === "") return {key: null, notice: null};
    // Out of the address bar at once, whatever becomes of it: a reload meanwhile must not take it again.
    params.delete("key");
    const rest = params.toString();
    history.replaceState(history.state, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
    const stored = loadApiKey(storage);
    if (stored === null || stored === fromLink) {
        saveApiKey(fromLink, storage);
        return {key: fromLink, notice: null};
    }
    if ((await check(fromLink)) !== "refused") {
        saveApiKey(fromLink, storage);
        return {key: fromLink, notice: LINK_KEY_REPLACED};
    }
    // Neither works: the link's key is taken, as without a stored key (the key screen asks for one; nothing to say).
    if ((await check(stored)) === "refused") {
        saveApiKey(fromLink, storage);
        return {key: fromLink, notice: null};
    }
    return {key: stored, notice: LINK_KEY_REFUSED};
}
