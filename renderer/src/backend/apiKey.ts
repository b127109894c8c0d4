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
 * Asks the server of this page whether it takes `key` for this page: the cheapest request of the app's own API
 * (GET /kvshare/model). The page's chats and settings need the app's key: an issued key, which the OpenAI API
 * takes, is refused there (403), so a link with one does not replace the app's key in every tab.
 */
export async function checkApiKey(key: string, fetchImpl: typeof fetch = (input, init) => globalThis.fetch(input, init)): Promise<KeyVerdict> {
    try {
        const response = await fetchImpl("/kvshare/model", {headers: {authorization: `Bearer ${key.trim()}`}});
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

/** What a `#key=` link came to: the key to use (null: the link had none) and what to tell the user, if anything. */
export interface KeyFromLocation {
    key: string | null;
    notice: string | null;
}

/**
 * The CLI prints the UI as `http://127.0.0.1:PORT/#key=KEY`. Takes the key from the fragment, stores it and
 * strips it from the address bar so it is not left in history or screenshots.
 *
 * The stored key is shared by every tab of the browser: a stale link (an old key, from history or an old
 * message) opened while a working key is stored would sign every tab out on its next request. So where a
 * different key is stored, the link's key replaces it only if the server takes it (or cannot be asked), or
 * if the server refuses the stored one too; otherwise the stored key stays, and `notice` says so. With no
 * stored key (or the same one), the link's key is stored at once, before anything is awaited.
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
    if (stored === null || stored === fromLink || (await check(fromLink)) !== "refused" || (await check(stored)) === "refused") {
        saveApiKey(fromLink, storage);
        return {key: fromLink, notice: null};
    }
    return {key: stored, notice: LINK_KEY_REFUSED};
}
