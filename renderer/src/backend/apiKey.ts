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

/**
 * The CLI prints the UI as `http://127.0.0.1:PORT/#key=KEY`. Takes the key from the fragment,
 * stores it and strips it from the address bar so it is not left in history or screenshots.
 */
export function consumeKeyFromLocation(
    location: Pick<Location, "hash" | "pathname" | "search"> = window.location,
    history: Pick<History, "replaceState" | "state"> = window.history,
    storage: Storage = localStorage
): string | null {
    const hash = location.hash.startsWith("#") ? location.hash.slice(1) : location.hash;
    if (hash === "") return null;
    const params = new URLSearchParams(hash);
    const key = params.get("key");
    if (key === null || key.trim() === "") return null;
    saveApiKey(key, storage);
    params.delete("key");
    const rest = params.toString();
    history.replaceState(history.state, "", location.pathname + location.search + (rest ? `#${rest}` : ""));
    return key.trim();
}
