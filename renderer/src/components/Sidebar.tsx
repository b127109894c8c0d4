import {useChatStream} from "../stores/useChatStream.js";
import {useConversations} from "../stores/useConversations.js";
import {useProfiles} from "../stores/useProfiles.js";
import {useView, type View} from "../stores/useView.js";
import {ConversationItem} from "./ConversationItem.js";
import {ProfileSwitcher} from "./ProfileSwitcher.js";

const pages: Array<[View, string, string]> = [
    ["chat", "Chats", "nav-chat"],
    ["dashboard", "Cache dashboard", "nav-dashboard"],
    ["admin", "Admin settings", "nav-admin"]
];

export function Sidebar() {
    const profile = useProfiles((s) => s.active);
    const all = useConversations((s) => s.conversations);
    const conversations = all.filter((c) => c.profile === profile);
    const activeId = useConversations((s) => s.activeId);
    const syncError = useConversations((s) => s.syncError);
    const conflictNotice = useConversations((s) => s.conflictNotice);
    const dismissConflictNotice = useConversations((s) => s.dismissConflictNotice);
    const {select, remove} = useConversations.getState();
    const streamingIn = useChatStream((s) => s.inFlight?.conversationId ?? null);
    const view = useView((s) => s.view);

    const onDelete = (id: string): void => {
        if (id === streamingIn) useChatStream.getState().stop();
        remove(id);
    };

    return (
        <aside className="sidebar" data-testid="sidebar">
            <div className="brand">
                <span className="brand-mark" aria-hidden="true">
                    ◆
                </span>{" "}
                KVShare
            </div>
            <ProfileSwitcher />
            <nav className="pages" aria-label="Pages">
                {pages.map(([id, label, testId]) => (
                    <button
                        key={id}
                        type="button"
                        className={`page-link${view === id ? " active" : ""}`}
                        data-testid={testId}
                        aria-current={view === id ? "page" : undefined}
                        onClick={() => useView.getState().show(id)}
                    >
                        {label}
                    </button>
                ))}
            </nav>
            <button
                type="button"
                className="new-chat"
                data-testid="new-chat"
                onClick={() => {
                    useConversations.getState().create(profile);
                    useView.getState().show("chat");
                    useView.getState().focusComposer();
                }}
            >
                + New chat
            </button>
            <nav className="conversations" aria-label="Chats">
                {conversations.length === 0 ? <p className="muted small">No chats yet</p> : null}
                <ul>
                    {conversations.map((c) => (
                        <ConversationItem
                            key={c.id}
                            conversation={c}
                            active={c.id === activeId}
                            onSelect={(id) => {
                                select(id);
                                useView.getState().show("chat");
                            }}
                            onDelete={onDelete}
                        />
                    ))}
                </ul>
            </nav>
            {conflictNotice ? (
                <div className="conflict-notice small" role="status">
                    <p>{conflictNotice}</p>
                    <button type="button" className="link-button" onClick={dismissConflictNotice}>
                        Dismiss
                    </button>
                </div>
            ) : null}
            {syncError ? (
                <p className="sync-error small" role="status" title={syncError}>
                    Not saved to the server: {syncError}
                </p>
            ) : null}
        </aside>
    );
}
