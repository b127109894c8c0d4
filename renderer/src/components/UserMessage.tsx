import {useState} from "react";
import {useView} from "../stores/useView.js";
import {EditQuestion} from "./EditQuestion.js";
import {useReturnFocus} from "./useReturnFocus.js";

interface UserMessageProps {
    content: string;
    /** Edit the question and ask again (drops what followed it); absent where that is not offered now. */
    onEdit?: ((text: string) => void) | undefined;
    /** Messages after this one (an edit removes them). */
    laterMessages: number;
}

/** A question, with "Edit" to change it and ask again. */
export function UserMessage({content, onEdit, laterMessages}: UserMessageProps) {
    const [editing, setEditing] = useState(false);
    const editButton = useReturnFocus<HTMLButtonElement>(editing);

    if (editing && onEdit) {
        return (
            <EditQuestion
                initial={content}
                laterMessages={laterMessages}
                onCancel={() => setEditing(false)}
                onSend={(text) => {
                    setEditing(false);
                    onEdit(text);
                    // The edit box is gone: the focus goes where the next message is typed.
                    useView.getState().focusComposer();
                }}
            />
        );
    }
    return (
        <div className="message message-user">
            <div className="bubble" data-testid="message-user">
                {content}
            </div>
            {onEdit ? (
                <button ref={editButton} type="button" className="link-button edit-button" data-testid="edit-button" onClick={() => setEditing(true)}>
                    Edit
                </button>
            ) : null}
        </div>
    );
}
