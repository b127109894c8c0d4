import {useState} from "react";
import type {Conversation} from "../lib/types.js";
import {RenameField} from "./RenameField.js";
import {useReturnFocus} from "./useReturnFocus.js";

interface ConversationItemProps {
    conversation: Conversation;
    active: boolean;
    /** Its answer is being written now. */
    answering: boolean;
    onSelect: (id: string) => void;
    onDelete: (id: string) => void;
    onRename: (id: string, title: string) => void;
}

export function ConversationItem({conversation, active, answering, onSelect, onDelete, onRename}: ConversationItemProps) {
    const [renaming, setRenaming] = useState(false);
    const selectButton = useReturnFocus<HTMLButtonElement>(renaming);
    const {id, title} = conversation;
    return (
        <li className={`conversation${active ? " active" : ""}`} data-testid="conversation-item" data-active={active} data-conversation-id={id}>
            {renaming ? (
                <RenameField
                    initial={title}
                    onDone={(name) => {
                        setRenaming(false);
                        if (name !== null) onRename(id, name);
                    }}
                />
            ) : (
                <>
                    <button
                        ref={selectButton}
                        type="button"
                        className="conversation-select"
                        // A Hebrew or Arabic title runs right to left (and is cut at its end).
                        dir="auto"
                        aria-current={active ? "true" : undefined}
                        onClick={() => onSelect(id)}
                        onDoubleClick={() => setRenaming(true)}
                        title={`${title} (double-click to rename)`}
                    >
                        {answering ? <span className="answering-dot" role="img" aria-label="Answering:" /> : null}
                        {title}
                    </button>
                    <button
                        type="button"
                        className="conversation-action"
                        data-testid="rename-conversation"
                        aria-label={`Rename “${title}”`}
                        title="Rename chat"
                        onClick={() => setRenaming(true)}
                    >
                        ✎
                    </button>
                    <button
                        type="button"
                        className="conversation-action conversation-delete"
                        data-testid="delete-conversation"
                        aria-label={`Delete “${title}”`}
                        title="Delete chat"
                        onClick={() => onDelete(id)}
                    >
                        ×
                    </button>
                </>
            )}
        </li>
    );
}
