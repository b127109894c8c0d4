import {create} from "zustand";

export type View = "chat" | "dashboard" | "admin";

interface ViewState {
    view: View;
    show: (view: View) => void;
    /** Counts requests to put the focus in the message box ("New chat" on a chat that is already new). */
    composerFocus: number;
    focusComposer: () => void;
    /** Narrow windows: the sidebar is a drawer, open or closed. */
    sidebarOpen: boolean;
    setSidebarOpen: (open: boolean) => void;
}

const views: readonly View[] = ["chat", "dashboard", "admin"];

function fromHash(): View {
    if (typeof window === "undefined") return "chat";
    const name = window.location.hash.replace(/^#\/?/, "");
    return (views as readonly string[]).includes(name) ? (name as View) : "chat";
}

/** Which page is shown: the chat, the cache dashboard or the admin settings (kept in the URL's #/page). */
export const useView = create<ViewState>()((set, get) => ({
    view: fromHash(),
    composerFocus: 0,
    focusComposer: () => set({composerFocus: get().composerFocus + 1}),
    sidebarOpen: false,
    setSidebarOpen: (sidebarOpen) => set({sidebarOpen}),
    show: (view) => {
        if (typeof window !== "undefined" && !window.location.hash.includes("key=")) {
            const hash = view === "chat" ? "" : `#/${view}`;
            window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search + hash);
        }
        // In a narrow window the drawer has done its job once a page is picked.
        set({view, sidebarOpen: false});
    }
}));
