import {startNewChat} from "./stores/newChat.js";
import {useConnection} from "./stores/useConnection.js";
import {useView} from "./stores/useView.js";

/**
 * The app's keyboard shortcuts, as `aria-keyshortcuts` and tooltips name them (Esc, which stops an answer, is the
 * message box's). On a Mac ⌘ does what Ctrl does.
 */
export const SHORTCUTS = {
    newChat: {keys: "Control+Shift+O", label: "Ctrl+Shift+O"},
    searchChats: {keys: "Control+K", label: "Ctrl+K"}
} as const;

/** Where the sidebar is a drawer (as styles.css draws it). */
export const DRAWER_WINDOW = "(max-width: 760px)";

/** The chat search, in sight (in a narrow window the drawer opens first), with the focus in it; false where there is none. */
function focusChatSearch(): boolean {
    const search = document.querySelector<HTMLInputElement>("[data-testid=chat-search]");
    if (search === null) return false;
    if (typeof window.matchMedia === "function" && window.matchMedia(DRAWER_WINDOW).matches) useView.getState().setSidebarOpen(true);
    // After the drawer is drawn.
    requestAnimationFrame(() => search.focus());
    return true;
}

/**
 * Listens for the shortcuts (Ctrl, or ⌘ on a Mac, with a key: the browser's own, such as Ctrl+N, stay the
 * browser's) while the chat is the page a key may use; returns the stop function.
 */
export function followShortcuts(target: Pick<Document, "addEventListener" | "removeEventListener"> = document): () => void {
    const onKey = (event: KeyboardEvent): void => {
        if (event.defaultPrevented || !(event.ctrlKey || event.metaKey) || event.altKey) return;
        // Behind the key dialog the app is inert: nothing there is done from the keyboard either.
        if (useConnection.getState().status === "unauthorized") return;
        const key = event.key.toLowerCase();
        if (event.shiftKey && key === "o") {
            event.preventDefault();
            startNewChat();
        } else if (!event.shiftKey && key === "k" && focusChatSearch()) event.preventDefault();
    };
    target.addEventListener("keydown", onKey);
    return () => target.removeEventListener("keydown", onKey);
}
