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
import {followAnswersElsewhere} from "./stores/answeringElsewhere.js";
import {keepPartialOnPageHide} from "./stores/useChatStream.js";
import {useConnection} from "./stores/useConnection.js";
import {followOtherTabs, selectActiveConversation, useConversations} from "./stores/useConversations.js";
import {useProfiles} from "./stores/useProfiles.js";
import {useView} from "./stores/useView.js";

const HEALTH_POLL_MS = 5000;
/** Where the sidebar is a drawer (as styles.css draws it). */
const DRAWER_WINDOW = "(max-width: 760px)";

/** The browser tab's title: the open chat's, once it has one, or the page's (a new, empty chat is just the app). */
function tabTitle(view: string, chatTitle: string | null): string {
    const page = view === "dashboard" ? "Cache dashboard" : view === "admin" ? "Admin settings" : chatTitle;
    return page === null ? "KVShare" : `${page} — KVShare`;
}

/** Once the server answers: profiles, then the chats from its database. */
async function loadServerState(): Promise<void> {
    await useProfiles.getState().load();
    await useConversations.getState().load();
    useConversations.getState().showProfile(useProfiles.getState().active);
}

export function App() {
    const conversation = useConversations(selectActiveConversation);
    const status = useConnection((s) => s.status);
    const view = useView((s) => s.view);
    const sidebarOpen = useView((s) => s.sidebarOpen);
    const [settingsOpen, setSettingsOpen] = useState(false);
    const reachable = status === "ok" || status === "loading";

    useEffect(() => {
        const {init, refresh} = useConnection.getState();
        void init();
        void refresh();
        if (useConversations.getState().activeId === null) useConversations.getState().create();
        const timer = setInterval(() => {
            if (useConnection.getState().status !== "unauthorized") void useConnection.getState().refresh();
        }, HEALTH_POLL_MS);
        const unsubscribeMenu = subscribeMenuCommands();
        const stopKeepingPartial = keepPartialOnPageHide();
        const stopFollowing = followOtherTabs();
        const stopFollowingAnswers = followAnswersElsewhere();
        return () => {
            clearInterval(timer);
            unsubscribeMenu();
            stopKeepingPartial();
            stopFollowing();
            stopFollowingAnswers();
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
        document.title = tabTitle(view, chatTitle);
    }, [view, chatTitle]);

    useEffect(() => {
        if (!sidebarOpen) return;
        const onKey = (event: KeyboardEvent): void => {
            // Not an Esc that closed something inside the drawer (renaming a chat).
            if (event.key === "Escape" && !event.defaultPrevented) useView.getState().setSidebarOpen(false);
        };
        document.addEventListener("keydown", onKey);
        return () => document.removeEventListener("keydown", onKey);
    }, [sidebarOpen]);

    // Server state is read when the server first becomes reachable (and again after a new API key).
    useEffect(() => {
        if (reachable) void loadServerState();
    }, [reachable]);

    const chat = view === "chat";
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
                            <Header title={view === "dashboard" ? "Cache dashboard" : "Admin settings"} />
                            <div className="page-scroll">{view === "dashboard" ? <Dashboard /> : <AdminPanel />}</div>
                        </>
                    )}
                </main>
                {settingsOpen && chat && conversation ? <ChatSettings conversation={conversation} onClose={() => setSettingsOpen(false)} /> : null}
            </div>
            {keyNeeded ? <ApiKeyScreen /> : null}
        </>
    );
}
