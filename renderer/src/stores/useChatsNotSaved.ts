import {create} from "zustand";
import {ApiError, errorMessage} from "../backend/errors.js";
import {askBeforeLeaving} from "../lib/leaveGuard.js";

/**
 * The chats the server refused to save for their size (over its request body limit): every later save fails
 * the same way, and this browser's storage is likely full too, so what changed in them lives in this page only.
 * Each says so where it is open, and the page asks before a reload or close loses it. A chat saved after all
 * (made smaller, a server with a higher limit) or deleted is no longer listed.
 */
export const useChatsNotSaved = create<{tooLarge: Record<string, string>}>()(() => ({tooLarge: {}}));

/** The server's 413: a body over its limit, refused before it was read. */
function isTooLarge(error: unknown): boolean {
    return error instanceof ApiError && error.status === 413;
}

/** Notes how a save of chat `id` ended: `failure` is why it failed, absent when it was saved (another failure, the server down, changes nothing). */
export function noteSave(id: string, failure?: unknown): void {
    const {tooLarge} = useChatsNotSaved.getState();
    if (failure === undefined) forgetNotSaved(id);
    else if (isTooLarge(failure)) useChatsNotSaved.setState({tooLarge: {...tooLarge, [id]: errorMessage(failure)}});
}

/** Chat `id` is saved, or gone (deleted): nothing of it is left to lose. */
export function forgetNotSaved(id: string): void {
    const {tooLarge} = useChatsNotSaved.getState();
    if (id in tooLarge) useChatsNotSaved.setState({tooLarge: Object.fromEntries(Object.entries(tooLarge).filter(([other]) => other !== id))});
}

useChatsNotSaved.subscribe((state) => askBeforeLeaving("chats not saved", Object.keys(state.tooLarge).length > 0));
