import {useEffect, useState} from "react";
import {AdminPanel} from "./components/AdminPanel.js";
import {ApiKeyScreen} from "./components/ApiKeyScreen.js";
import {BuildNotice} from "./components/BuildNotice.js";
import {ChatNotSaved} from "./components/ChatNotSaved.js";
import {ChatSettings} from "./components/ChatSettings.js";
import {ChatView} from "./components/ChatView.js";
import {Composer} from "./components/Composer.js";
import {Dashboard} from "./components/Dashboard.js";
import {Header} from "./components/Header.js";
import {KeyNotice} from "./components/KeyNotice.js";
import {Sidebar} from "./components/Sidebar.js";
import {DEFAULT_TITLE} from "./lib/types.js";
import {subscribeMenuCommands} from "./menuCommands.js";
import {DRAWER_WINDOW, followShortcuts} from "./shortcuts.js";
import {followAnswersElsewhere} from "./stores/answeringElsewhere.js";
import {keepPartialOnPageHide} from "./stores/useChatStream.js";
import {useConnection} from "./stores/useConnection.js";
import {followOtherTabs, holdsChatsHere, selectActiveConversation, useConversations} from "./stores/useConversations.js";
import {useProfiles} from "./stores/useProfiles.js";
import {followSignIns} from "./stores/signOut.js";
import {selectMayAdmin, useSignedIn} from "./stores/useSignedIn.js";
import {useView} from "./stores/useView.js";

const HEALTH_POLL_MS = 5000;

/** The browser tab's title: the open chat's, once it has one, or the page's (a new, empty chat is just the app). */
function tabTitle(view: string, chatTitle: string | null): string {
    const page = view === "dashboard" ? "Cache dashboard" : view === "admin" ? "Admin settings" : chatTitle;
    return page === null ? "KVShare" : `${page} — KVShare`;
}

/**
 * The app's own key's profiles and chats from the server's database, once the server answers and has said the key
 * is the app's. An issued key gets the chat alone: its chats stay in this browser, and the app's routes, which would
 * refuse it, are not asked.
 */
async function loadAppState(): Promise<void> {
    await useProfiles.getState().load();
    await useConversations.getState().load();
    useConversations.getState().showProfile(useProfiles.getState().active);
}

export function App() {
    const conversation = useConversations(selectActiveConversation);
    const status = useConnection((s) => s.status);
    const view = useView((s) => s.view);
    const sidebarOpen = useView((s) => s.sidebarOpen);
    // The dashboard and the settings are the app's own key's: any other key (or one not known yet) is shown the chat.
    const mayAdmin = useSignedIn(selectMayAdmin);
    const page = mayAdmin ? view : "chat";
    const [settingsOpen, setSettingsOpen] = useState(false);
    const reachable = status === "ok" || status === "loading";

    useEffect(() => {
        const {init, refresh} = useConnection.getState();
        // Before the key is read: a link's key replacing the saved one forgets what was kept for that one.
        const stopFollowingSignIns = followSignIns();
        void init(holdsChatsHere);
        void refresh();
        if (useConversations.getState().activeId === null) useConversations.getState().create();
        const timer = setInterval(() => {
            const {status} = useConnection.getState();
            if (status !== "unauthorized") void useConnection.getState().refresh();
            // Who the key is could not be asked (the server was busy, say): asked again.
            if (status !== "unauthorized" && useSignedIn.getState().signedIn === null) void useSignedIn.getState().ask();
        }, HEALTH_POLL_MS);
        const unsubscribeMenu = subscribeMenuCommands();
        const stopKeepingPartial = keepPartialOnPageHide();
        const stopFollowing = followOtherTabs();
        const stopFollowingAnswers = followAnswersElsewhere();
        const stopShortcuts = followShortcuts();
        return () => {
            stopShortcuts();
            clearInterval(timer);
            unsubscribeMenu();
            stopKeepingPartial();
            stopFollowing();
            stopFollowingAnswers();
            stopFollowingSignIns();
        };
    }, []);

    // A drawer left open when the window widens would leave the page inert behind a sidebar that is no drawer.
    useEffect(() => {
        if (typeof window.matchMedia !== "function") return;
        const drawerWindow = window.matchMedia(DRAWER_WINDOW);
        const onChange = (event: MediaQueryListEvent): void => {
            if (!event.matches) useView.getState().setSidebarOpen(false);
        };
        drawerWindow.addEventListener("change", onChange);
        return () => drawerWindow.removeEventListener("change", onChange);
    }, []);

    const chatTitle = conversation && conversation.messages.length > 0 ? conversation.title : null;
    useEffect(() => {
        document.title = tabTitle(page, chatTitle);
    }, [page, chatTitle]);

    useEffect(() => {
        if (!sidebarOpen) return;
        const onKey = (event: KeyboardEvent): void => {
            // Not an Esc that closed something inside the drawer (renaming a chat).
            if (event.key === "Escape" && !event.defaultPrevented) useView.getState().setSidebarOpen(false);
        };
        document.addEventListener("keydown", onKey);
        return () => document.removeEventListener("keydown", onKey);
    }, [sidebarOpen]);

    // Who the key signs in as, at once and after each new key: it needs no model (with none loaded, the settings and
    // the model picker are how one is loaded).
    const apiKey = useConnection((s) => s.apiKey);
    useEffect(() => {
        // Not while a key is asked for (signed out): the key screen's key is asked about once the server takes it.
        if (status !== "unauthorized" && useSignedIn.getState().signedIn === null) void useSignedIn.getState().ask();
    }, [apiKey, status]);
    // The app's own key's state is read when the server is reachable and has said whose key it is (again after a new key).
    useEffect(() => {
        if (reachable && mayAdmin) void loadAppState();
    }, [reachable, mayAdmin]);

    const chat = page === "chat";
    const keyNeeded = status === "unauthorized";
    return (
        <>
            {/* Inert behind the API key dialog: nothing there can be reached until a key is given. */}
            <div className={`app${settingsOpen && chat ? " with-settings" : ""}${sidebarOpen ? " sidebar-open" : ""}`} inert={keyNeeded}>
                <Sidebar />
                {sidebarOpen ? (
                    <div className="drawer-backdrop" data-testid="drawer-backdrop" onClick={() => useView.getState().setSidebarOpen(false)} />
                ) : null}
                {/* Inert behind the open drawer (narrow windows): Tab and screen readers stay in the drawer. */}
                <main className="main" inert={sidebarOpen}>
                    <BuildNotice />
                    <KeyNotice />
                    {chat ? (
                        <>
                            <Header
                                title={conversation?.title ?? DEFAULT_TITLE}
                                settingsOpen={settingsOpen}
                                onToggleSettings={() => setSettingsOpen((o) => !o)}
                            />
                            <ChatView conversation={conversation} />
                            <div className="composer-wrap">
                                {conversation ? <ChatNotSaved conversationId={conversation.id} /> : null}
                                <Composer disabled={keyNeeded} />
                            </div>
                        </>
                    ) : (
                        <>
                            <Header title={page === "dashboard" ? "Cache dashboard" : "Admin settings"} />
                            <div className="page-scroll">{page === "dashboard" ? <Dashboard /> : <AdminPanel />}</div>
                        </>
                    )}
                </main>
                {settingsOpen && chat && conversation ? <ChatSettings conversation={conversation} onClose={() => setSettingsOpen(false)} /> : null}
            </div>
            {keyNeeded ? <ApiKeyScreen /> : null}
        </>
    );
}
