/**
 * Every name the app writes to the browser's storage starts so: the key (`kvshare.apiKey`), the chats, which profile
 * asks, which chats a tab is answering, a tab's open chat and new chats, the dashboard's scope, the hit strip's state.
 * Signing out forgets them by this prefix, so a name added later is forgotten too.
 */
export const APP_STORAGE_PREFIX = "kvshare.";

/** Removes the app's entries (but `keep`) from a storage; one that cannot be reached (private mode) has none to remove. */
export function forgetAppStorage(storage: () => Storage, keep: readonly string[] = []): void {
    try {
        const area = storage();
        const names: string[] = [];
        for (let i = 0; i < area.length; i++) {
            const name = area.key(i);
            if (name?.startsWith(APP_STORAGE_PREFIX) === true && !keep.includes(name)) names.push(name);
        }
        for (const name of names) area.removeItem(name);
    } catch {
        // Storage refused: there is nothing of the app's in it.
    }
}
