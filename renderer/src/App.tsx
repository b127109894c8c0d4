import {useEffect, useState} from "react";
import {ApiKeyScreen} from "./components/ApiKeyScreen.js";
import {ChatSettings} from "./components/ChatSettings.js";
import {ChatView} from "./components/ChatView.js";
import {Composer} from "./components/Composer.js";
import {Header} from "./components/Header.js";
import {Sidebar} from "./components/Sidebar.js";
import {DEFAULT_TITLE} from "./lib/types.js";
import {useConnection} from "./stores/useConnection.js";
import {selectActiveConversation, useConversations} from "./stores/useConversations.js";

const HEALTH_POLL_MS = 5000;

export function App() {
    const conversation = useConversations(selectActiveConversation);
    const status = useConnection((s) => s.status);
    const [settingsOpen, setSettingsOpen] = useState(false);

    useEffect(() => {
        const {init, refresh} = useConnection.getState();
        init();
        void refresh();
        if (useConversations.getState().activeId === null) useConversations.getState().create();
        const timer = setInterval(() => {
            if (useConnection.getState().status !== "unauthorized") void useConnection.getState().refresh();
        }, HEALTH_POLL_MS);
        return () => clearInterval(timer);
    }, []);

    return (
        <div className={`app${settingsOpen ? " with-settings" : ""}`}>
            <Sidebar />
            <main className="main">
                <Header title={conversation?.title ?? DEFAULT_TITLE} settingsOpen={settingsOpen} onToggleSettings={() => setSettingsOpen((o) => !o)} />
                <ChatView conversation={conversation} />
                <div className="composer-wrap">
                    <Composer disabled={status === "unauthorized"} />
                </div>
            </main>
            {settingsOpen && conversation ? <ChatSettings conversation={conversation} onClose={() => setSettingsOpen(false)} /> : null}
            {status === "unauthorized" ? <ApiKeyScreen /> : null}
        </div>
    );
}
