import {useEffect, useRef, useState} from "react";
import {groupChats} from "../lib/chatGroups.js";
import {searchConversations} from "../lib/conversationSearch.js";
import {openConversation} from "../stores/openConversation.js";
import {useShallow} from "zustand/react/shallow";
import {useChatStream} from "../stores/useChatStream.js";
import {useConversations} from "../stores/useConversations.js";
import {useProfiles} from "../stores/useProfiles.js";
import {selectMayAdmin, useSignedIn} from "../stores/useSignedIn.js";
import {useView, type View} from "../stores/useView.js";
import {ConversationItem} from "./ConversationItem.js";
import {OlderChats} from "./OlderChats.js";
import {SHORTCUTS} from "../shortcuts.js";
import {startNewChat} from "../stores/newChat.js";
import {SidebarFooter} from "./SidebarFooter.js";
import {SignedInAs} from "./SignedInAs.js";
import {ThemeButton} from "./ThemeButton.js";
import {UndoDelete} from "./UndoDelete.js";

const pages: Array<[View, string, string]> = [
    ["chat", "Chats", "nav-chat"],
    ["dashboard", "Cache dashboard", "nav-dashboard"],
    ["admin", "Admin settings", "nav-admin"]
];

export function Sidebar() {
    const profile = useProfiles((s) => s.active);
    const all = useConversations((s) => s.conversations);
    const [query, setQuery] = useState("");
    // Another person (a sign-out, another key): the search typed for the one before is not theirs to see.
    const signedIn = useSignedIn((s) => s.signedIn);
    useEffect(() => {
        if (signedIn === null) setQuery("");
    }, [signedIn]);
    const ofProfile = all.filter((c) => c.profile === profile);
    const conversations = searchConversations(ofProfile, query);
    const activeId = useConversations((s) => s.activeId);
    const olderCursor = useConversations((s) => s.olderCursor);
    const conflictNotice = useConversations((s) => s.conflictNotice);
    const dismissConflictNotice = useConversations((s) => s.dismissConflictNotice);
    // The dashboard and the settings are the app's own key's: an issued key (or one not known yet) has the chat alone.
    const mayAdmin = useSignedIn(selectMayAdmin);
    const {remove, rename, setPinned} = useConversations.getState();
    // The chats being answered, not their text: the list is not drawn again for every streamed frame.
    const answering = useChatStream(useShallow((s) => Object.keys(s.answers)));
    const view = useView((s) => s.view);
    // Narrow windows: the sidebar is a drawer, open over the page (made inert behind it by App).
    const drawerOpen = useView((s) => s.sidebarOpen);
    const aside = useRef<HTMLDivElement>(null);
    // The drawer opened: the focus goes into it (a keyboard or screen reader user is where they asked to be).
    useEffect(() => {
        if (drawerOpen) aside.current?.focus();
    }, [drawerOpen]);

    const onDelete = (id: string): void => {
        if (useChatStream.getState().answers[id] === undefined) return remove(id);
        // The stopped answer is written into the chat once its stream ends: deleted before that, the chat Undo
        // brings back would lack it (its question left unanswered). Deleted once it is kept, and only if still
        // there (a second click meanwhile deleted it already).
        void useChatStream
            .getState()
            .stopAndKeep(id)
            .then(() => {
                if (useConversations.getState().conversations.some((c) => c.id === id)) remove(id);
            });
    };

    return (
        // A div with a role, not an <aside>: an aside may not be a dialog, which the drawer is while open.
        <div
            ref={aside}
            className="sidebar"
            id="sidebar"
            data-testid="sidebar"
            tabIndex={-1}
            aria-label="Chats and pages"
            {...(drawerOpen ? {role: "dialog", "aria-modal": true} : {role: "complementary"})}
        >
            <div className="brand">
                <span className="brand-mark" aria-hidden="true">
                    ◆
                </span>{" "}
                KVShare
                <ThemeButton />
            </div>
            <SignedInAs />
            {mayAdmin ? (
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
            ) : null}
            <button
                type="button"
                className="new-chat"
                data-testid="new-chat"
                title={`New chat (${SHORTCUTS.newChat.label})`}
                aria-keyshortcuts={SHORTCUTS.newChat.keys}
                onClick={startNewChat}
            >
                + New chat
            </button>
            {ofProfile.length > 0 || olderCursor !== null ? (
                <input
                    type="search"
                    className="chat-search"
                    data-testid="chat-search"
                    placeholder="Search chats"
                    aria-label="Search chats by title and text"
                    title={`Search chats (${SHORTCUTS.searchChats.label})`}
                    aria-keyshortcuts={SHORTCUTS.searchChats.keys}
                    value={query}
                    onChange={(e) => setQuery(e.target.value)}
                />
            ) : null}
            <nav className="conversations" aria-label="Chats">
                {ofProfile.length === 0 && olderCursor === null ? <p className="muted small">No chats yet</p> : null}
                {/* Always there (a live region added with its text in it may go unannounced); says when none match. */}
                <div role="status">
                    {ofProfile.length > 0 && conversations.length === 0 ? (
                        <p className="muted small" data-testid="no-search-results">
                            No chat matches “{query.trim()}”
                        </p>
                    ) : null}
                </div>
                {/* Pinned, then in stretches of time (Today, Yesterday, …), each a heading to jump by. */}
                {groupChats(conversations).map((group) => (
                    <section key={group.label} className="chat-group" aria-labelledby={`chat-group-${group.label}`}>
                        <h2 className="chat-group-label" id={`chat-group-${group.label}`}>
                            {group.label}
                        </h2>
                        <ul>
                            {group.conversations.map((c) => (
                                <ConversationItem
                                    key={c.id}
                                    conversation={c}
                                    active={c.id === activeId}
                                    answering={answering.includes(c.id)}
                                    onSelect={openConversation}
                                    onDelete={onDelete}
                                    onRename={rename}
                                    onPin={setPinned}
                                />
                            ))}
                        </ul>
                    </section>
                ))}
                <OlderChats query={query} profile={profile} />
            </nav>
            <UndoDelete />
            {conflictNotice ? (
                <div className="conflict-notice small" role="status">
                    <p>{conflictNotice}</p>
                    <button type="button" className="link-button" onClick={dismissConflictNotice}>
                        Dismiss
                    </button>
                </div>
            ) : null}
            <SidebarFooter />
        </div>
    );
}
