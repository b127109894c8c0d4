import {startNewChat} from "./stores/newChat.js";
import {useView} from "./stores/useView.js";

/** The app's keyboard shortcuts, as `aria-keyshortcuts` and tooltips name them (Esc, which stops an answer, is the message box's). */
export const SHORTCUTS = {
    newChat: {keys: "Control+Shift+O", label: "Ctrl+Shift+O"},
    searchChats: {keys: "Control+K", label: "Ctrl+K"}
} as const;

/** Where the sidebar is a drawer (as styles.css draws it). */
export const DRAWER_WINDOW = "(max-width: 760px)";

/** The chat search, in sight (in a narrow window the drawer opens first), with the focus in it. */
function focusChatSearch(): void {
    if (typeof window.matchMedia === "function" && window.matchMedia(DRAWER_WINDOW).matches) useView.getState().setSidebarOpen(true);
    // After the drawer is drawn.
    requestAnimationFrame(() => document.querySelector<HTMLInputElement>("[data-testid=chat-search]")?.focus());
}

/**
 * Listens for the shortcuts (Ctrl, or ⌘ on a Mac, with a key: the browser's own, such as Ctrl+N, stay the
 * browser's) while the chat is the page a key may use; returns the stop function.
 */
export function followShortcuts(target: Pick<Document, "addEventListener" | "removeEventListener"> = document): () => void {
    const onKey = (event: KeyboardEvent): void => {
        if (event.defaultPrevented || !(event.ctrlKey || event.metaKey) || event.altKey) return;
        const key = event.key.toLowerCase();
        if (event.shiftKey && key === "o") {
            event.preventDefault();
            startNewChat();
        } else if (!event.shiftKey && key === "k") {
            event.preventDefault();
            focusChatSearch();
        }
    };
    target.addEventListener("keydown", onKey);
    return () => target.removeEventListener("keydown", onKey);
}
