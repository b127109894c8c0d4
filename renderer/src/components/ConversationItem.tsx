import type {Conversation} from "../lib/types.js";

interface ConversationItemProps {
    conversation: Conversation;
    active: boolean;
    onSelect: (id: string) => void;
    onDelete: (id: string) => void;
}

export function ConversationItem({conversation, active, onSelect, onDelete}: ConversationItemProps) {
    return (
        <li className={`conversation${active ? " active" : ""}`} data-testid="conversation-item" data-active={active}>
            <button type="button" className="conversation-select" onClick={() => onSelect(conversation.id)} title={conversation.title}>
                {conversation.title}
            </button>
            <button
                type="button"
                className="conversation-delete"
                data-testid="delete-conversation"
                aria-label={`Delete “${conversation.title}”`}
                title="Delete chat"
                onClick={() => onDelete(conversation.id)}
            >
                ×
            </button>
        </li>
    );
}
