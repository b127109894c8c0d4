import {THEME_STORAGE} from "../lib/theme.js";
import {API_KEY_STORAGE, loadApiKey, saveApiKey} from "../backend/apiKey.js";
import {forgetAppStorage} from "../lib/appStorage.js";
import {forgetRenderedMarkdown} from "../lib/markdown.js";
import {DEFAULT_PROFILE} from "../lib/types.js";
import {useAdminSettings} from "./useAdminSettings.js";
import {useApiKeys} from "./useApiKeys.js";
import {useCachedPrompts} from "./useCachedPrompts.js";
import {useCacheStats} from "./useCacheStats.js";
import {dropAnswers} from "./useChatStream.js";
import {useChatsNotSaved} from "./useChatsNotSaved.js";
import {useConnection} from "./useConnection.js";
import {flushConversationSaves, holdsChatsHere, noChatsYet, useConversations} from "./useConversations.js";
import {useDrafts} from "./useDrafts.js";
import {noModelsYet, useModels} from "./useModels.js";
import {useProfiles} from "./useProfiles.js";
import {forgetIdentity, keepsChatsOnServer} from "./useSignedIn.js";
import {useWhatIf} from "./useWhatIf.js";

/** What the confirmation asks before signing out. */
export const SIGN_OUT_QUESTION = "Sign out of this browser? Your key and the chats kept in this browser are forgotten here.";

/**
 * Forgets, in this page, everything of the key signed in before: its chats, drafts and answers being written, which
 * profile asked, and what the app's own key read (settings, keys, the dashboard). `storage` "all": this browser's
 * copies too (the key itself stays: signing out removes it first); "tab": this tab's own storage only, where another
 * tab already forgot the shared one (and may be writing the next key's chats there).
 */
export function forgetChatsHere(storage: "all" | "tab"): void {
    // Reads and saves on their way for whoever was signed in are not taken in after this.
    forgetIdentity();
    dropAnswers();
    useConversations.setState(noChatsYet);
    useDrafts.setState({drafts: {}});
    forgetRenderedMarkdown();
    useChatsNotSaved.setState({tooLarge: {}});
    useProfiles.setState({profiles: [], active: DEFAULT_PROFILE, loaded: false, error: null});
    useModels.setState(noModelsYet);
    // What the app's own key read: a page opened anew holds none of it.
    useAdminSettings.setState(useAdminSettings.getInitialState(), true);
    useApiKeys.setState(useApiKeys.getInitialState(), true);
    useCachedPrompts.setState(useCachedPrompts.getInitialState(), true);
    useWhatIf.setState(useWhatIf.getInitialState(), true);
    useCacheStats.setState({...useCacheStats.getInitialState(), scope: null}, true);
    // The colours picked are the screen's, not the person's: they stay (and stay shown).
    if (storage === "all") forgetAppStorage(() => localStorage, [API_KEY_STORAGE, THEME_STORAGE]);
    forgetAppStorage(() => sessionStorage);
    // A page starts on a new chat: so does the next person's.
    useConversations.getState().create();
}

/**
 * Signs this browser out: its key and every chat, draft and local copy it keeps for the app are forgotten, and the
 * key screen shows. The app's own key keeps its chats on the server too: a save on its way gets there first.
 */
/** How long a sign-out waits for the app key's saves still on their way. */
const signOutSaveWaitMs = 2000;

export async function signOut(): Promise<void> {
    dropAnswers();
    // Saves on their way are given a moment (a server that does not answer must not keep the next person waiting).
    if (keepsChatsOnServer())
        await Promise.race([flushConversationSaves().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, signOutSaveWaitMs))]);
    saveApiKey(null);
    forgetChatsHere("all");
    useConnection.getState().signedOut();
}

/**
 * Follows the key of this browser: another key than the one before (a link, the key screen, another tab) is
 * another person, who must not see what was kept for the key before; a sign-out in another tab signs this one out
 * too (the `storage` event), and a key signed in there is taken here, as is a `#key=` link pasted into this tab's
 * address bar. Returns a stop function.
 */
export function followSignIns(target: Pick<Window, "addEventListener" | "removeEventListener"> = window): () => void {
    // Set while taking another tab's key: that tab forgot the shared storage already (and may be writing there now).
    let fromOtherTab = false;
    const stopFollowing = useConnection.subscribe((state, previous) => {
        if (state.apiKey !== null && previous.apiKey !== null && state.apiKey !== previous.apiKey) forgetChatsHere(fromOtherTab ? "tab" : "all");
    });
    const onStorage = (event: StorageEvent): void => {
        // `null`: the whole storage was cleared.
        if (event.key !== API_KEY_STORAGE && event.key !== null) return;
        const key = loadApiKey();
        if (key === useConnection.getState().apiKey) return;
        if (key === null) {
            dropAnswers();
            forgetChatsHere("tab");
            useConnection.getState().signedOut();
            return;
        }
        fromOtherTab = true;
        try {
            void useConnection.getState().setApiKey(key);
        } finally {
            fromOtherTab = false;
        }
    };
    // A `#key=` link pasted into this tab's address bar changes its fragment alone (the page stays): the key is
    // taken as on opening the link, not left in the address bar while the key before goes on being used.
    const onHashChange = (): void => {
        if (!new URLSearchParams(window.location.hash.replace(/^#/, "")).has("key")) return;
        const connection = useConnection.getState();
        void connection.init(holdsChatsHere).then(() => useConnection.getState().refresh());
    };
    target.addEventListener("storage", onStorage);
    target.addEventListener("hashchange", onHashChange);
    return () => {
        stopFollowing();
        target.removeEventListener("storage", onStorage);
        target.removeEventListener("hashchange", onHashChange);
    };
}
