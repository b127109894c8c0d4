import type {SignedIn} from "../../../shared/admin.js";
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

/** A key's check: the verdict, and who the key signs in as where it was taken (null: the answer did not say). */
export interface KeyCheck {
    verdict: KeyVerdict;
    who: SignedIn | null;
}

/**
 * Asks the server of this page whether it takes `key` (GET /kvshare/whoami, which any valid key may ask), and who
 * it signs in as: the app's own key and an issued one (a student's, which the page offers the chat alone) are both
 * accepted; an unknown, revoked or mistyped key is refused (401).
 */
export async function checkApiKey(key: string, fetchImpl: typeof fetch = (input, init) => globalThis.fetch(input, init)): Promise<KeyCheck> {
    try {
        const response = await fetchImpl(WHOAMI_PATH, {headers: {authorization: `Bearer ${key.trim()}`}});
        // Read to the end: the connection is then free for the next request.
        const body = await response.text().catch(() => "");
        if (response.ok) return {verdict: "accepted", who: readSignedIn(body)};
        return {verdict: response.status === 401 || response.status === 403 ? "refused" : "unknown", who: null};
    } catch {
        return {verdict: "unknown", who: null};
    }
}

function readSignedIn(body: string): SignedIn | null {
    try {
        const who = JSON.parse(body) as Partial<SignedIn> | null;
        return typeof who?.name === "string" && typeof who.app === "boolean"
            ? {app: who.app, name: who.name, group: typeof who.group === "string" ? who.group : null, keyRequired: who.keyRequired !== false}
            : null;
    } catch {
        return null;
    }
}

/** Said once where a `#key=` link brought a key the server refused while the saved one still works. */
export const LINK_KEY_REFUSED = "The link's key was not accepted; still signed in with the saved key.";

/**
 * Said once where a `#key=` link's key was taken over the one saved (the person at the browser said so, or the saved
 * key no longer works): what this browser kept for the key before is not the new key's holder's.
 */
export const LINK_KEY_REPLACED = "Signed in with the link's key. The key saved before, and the chats this browser kept with it, are forgotten here.";

/** A link's key not taken yet: another key is signed in here, and the person at the browser decides. */
export interface KeyOffer {
    key: string;
    /** Who the link's key signs in as (null: the server could not say). */
    who: SignedIn | null;
}

/** What a `#key=` link came to: the key to use (null: the link had none), what to tell the user, and a key to offer. */
export interface KeyFromLocation {
    key: string | null;
    notice: string | null;
    offer?: KeyOffer;
}

/**
 * The CLI prints the UI as `http://127.0.0.1:PORT/#key=KEY`, and a teacher hands each student such a link with the
 * student's own key. Takes the key from the fragment, stores it and strips it from the address bar so it is not
 * left in history or screenshots.
 *
 * The stored key is shared by every tab of the browser, and is someone's. With no stored key (or the same one), the
 * link's key is stored at once, before anything is awaited. Otherwise the link's key is checked with the server:
 * refused, the stored key stays (a stale link: an old key, from history or an old message) and `notice` says so,
 * unless the server refuses the stored one too; taken (or not checkable) while the stored key still works, it is
 * only offered (`offer`): a link is no sign-in by itself, or anyone could send another person a link with their own
 * key and read what that person then asks in their scope. Where the stored key no longer works, the link's key
 * replaces it, and `notice` says that the key before is gone; unless this browser `keepsChats` (of the key
 * before), which the new key would forget: then it is offered too.
 */
export async function consumeKeyFromLocation(
    location: Pick<Location, "hash" | "pathname" | "search"> = window.location,
    history: Pick<History, "replaceState" | "state"> = window.history,
    storage: Storage = localStorage,
    check: (key: string) => Promise<KeyCheck> = checkApiKey,
    keepsChats: () => boolean = () => false
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
    const link = await check(fromLink);
    const storedWorks = (await check(stored)).verdict !== "refused";
    // Offered too where the key before no longer works but this browser keeps its chats, which a new key forgets:
    // they may be downloaded first (the key screen offers both).
    if (link.verdict !== "refused" && (storedWorks || keepsChats())) return {key: stored, notice: null, offer: {key: fromLink, who: link.who}};
    if (link.verdict !== "refused") {
        saveApiKey(fromLink, storage);
        return {key: fromLink, notice: LINK_KEY_REPLACED};
    }
    // Neither works: the link's key is taken, as without a stored key (the key screen asks for one; nothing to say).
    if (!storedWorks) {
        saveApiKey(fromLink, storage);
        return {key: fromLink, notice: null};
    }
    return {key: stored, notice: LINK_KEY_REFUSED};
}
