import {useEffect, useRef, useState} from "react";
import type {Conversation} from "../lib/types.js";
import {useView} from "../stores/useView.js";
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
    onPin: (id: string, pinned: boolean) => void;
}

/** A pushpin, drawn (an emoji's look depends on the system's fonts, and some have none). */
function PinIcon() {
    return (
        <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
            <path d="M6 1.5h4l-.6 4.2 2.6 2.3v1H8.6V15h-1.2V9H4V8l2.6-2.3z" fill="currentColor" />
        </svg>
    );
}

export function ConversationItem({conversation, active, answering, onSelect, onDelete, onRename, onPin}: ConversationItemProps) {
    const [renaming, setRenaming] = useState(false);
    const selectButton = useReturnFocus<HTMLButtonElement>(renaming);
    const {id, title} = conversation;
    const pinned = conversation.pinned === true;
    // The chat opened is shown in the list wherever it sits: one imported or branched is placed by its messages'
    // times, maybe far down a long list, out of sight. When it becomes the open one or is drawn anew in another
    // place (pinned, moved to another day's group, shown again after a search), not as the list is scrolled by
    // hand; "nearest" leaves a chat already in sight where it is. And as the drawer opens (narrow windows): while it
    // was hidden no chat could scroll into view.
    const item = useRef<HTMLLIElement>(null);
    const drawerOpen = useView((s) => s.sidebarOpen);
    useEffect(() => {
        if (active) item.current?.scrollIntoView?.({block: "nearest"});
    }, [active, drawerOpen]);
    return (
        <li ref={item} className={`conversation${active ? " active" : ""}`} data-testid="conversation-item" data-active={active} data-conversation-id={id}>
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
                        className={`conversation-action conversation-pin${pinned ? " pinned" : ""}`}
                        data-testid="pin-conversation"
                        aria-label={`Pin “${title}”`}
                        aria-pressed={pinned}
                        title={pinned ? "Unpin chat" : "Pin chat to the top"}
                        onClick={() => onPin(id, !pinned)}
                    >
                        <PinIcon />
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
