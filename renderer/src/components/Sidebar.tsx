import {useChatStream} from "../stores/useChatStream.js";
import {useConversations} from "../stores/useConversations.js";
import {ConversationItem} from "./ConversationItem.js";

export function Sidebar() {
    const conversations = useConversations((s) => s.conversations);
    const activeId = useConversations((s) => s.activeId);
    const {create, select, remove} = useConversations.getState();
    const streamingIn = useChatStream((s) => s.inFlight?.conversationId ?? null);

    const onDelete = (id: string): void => {
        if (id === streamingIn) useChatStream.getState().stop();
        remove(id);
    };

    return (
        <aside className="sidebar">
            <div className="brand">
                <span className="brand-mark" aria-hidden="true">◆</span> KVShare
            </div>
            <button type="button" className="new-chat" data-testid="new-chat" onClick={() => create()}>
                + New chat
            </button>
            <nav className="conversations" aria-label="Chats">
                {conversations.length === 0 ? <p className="muted small">No chats yet</p> : null}
                <ul>
                    {conversations.map((c) => (
                        <ConversationItem key={c.id} conversation={c} active={c.id === activeId} onSelect={select} onDelete={onDelete} />
                    ))}
                </ul>
            </nav>
        </aside>
    );
}
