import {useState} from "react";
import {CopyButton} from "./CopyButton.js";
import {EditMessage} from "./EditMessage.js";
import {DeleteMessageButton} from "./MessageActions.js";
import {useReturnFocus} from "./useReturnFocus.js";
import {VersionSwitcher, type Versions} from "./VersionSwitcher.js";

interface UserMessageProps {
    content: string;
    /** Edit the question and ask again (a new version from here on); absent where that is not offered now. */
    onEdit?: ((text: string) => void) | undefined;
    /** Deletes the question (after a confirmation); absent where that is not offered now. */
    onDelete?: (() => void) | undefined;
    /** Messages after this one (kept, with it, as the older version when an edit is sent). */
    laterMessages: number;
    /** Where the question has other versions: which is shown. */
    versions?: (Versions & {at: string}) | undefined;
}

/** A question, with "Copy", "Edit" to change it and ask again, "Delete", and its versions where it was edited. */
export function UserMessage({content, onEdit, onDelete, laterMessages, versions}: UserMessageProps) {
    const [editing, setEditing] = useState(false);
    const editButton = useReturnFocus<HTMLButtonElement>(editing);

    if (editing && onEdit) {
        return <EditMessage role="user" initial={content} laterMessages={laterMessages} onClose={() => setEditing(false)} onSave={onEdit} />;
    }
    return (
        <div className="message message-user">
            {/* Who said it, for screen readers (the bubble's place and colour say it on screen); a heading to jump by. */}
            <h2 className="visually-hidden">You said:</h2>
            {/* dir="auto": a question in Hebrew or Arabic runs right to left. */}
            <div className="bubble" data-testid="message-user" dir="auto">
                {content}
            </div>
            {/* Always there (Copy is; Edit is not while an answer is written): the chat does not shift when Edit comes back. */}
            <div className="user-actions">
                {versions ? <VersionSwitcher {...versions} /> : null}
                <CopyButton text={content} name="Copy question" testId="copy-question" />
                {onEdit ? (
                    <button
                        ref={editButton}
                        type="button"
                        className="link-button edit-button hover-action"
                        data-testid="edit-button"
                        aria-label="Edit question"
                        onClick={() => setEditing(true)}
                    >
                        Edit
                    </button>
                ) : null}
                {onDelete ? <DeleteMessageButton what="question" onDelete={onDelete} hoverAction /> : null}
            </div>
        </div>
    );
}
