import {useState} from "react";
import {isComposingKey, isSendKey} from "../lib/keys.js";
import {messageSizeProblem} from "../lib/messageSize.js";
import {selectContextSize, useConnection} from "../stores/useConnection.js";
import {useView} from "../stores/useView.js";
import {useUnavailableReason} from "./useUnavailableReason.js";

interface EditMessageProps {
    /** A question is asked again once edited; an answer is only kept as written (the model is not asked). */
    role: "user" | "assistant";
    initial: string;
    /** Messages after this one: saving the edit keeps them, with this message, as the older version. */
    laterMessages: number;
    onSave: (text: string) => void;
    /** Closes the edit box (saved or cancelled). */
    onClose: () => void;
}

/** What saving keeps: nothing is lost by an edit, and the note says where the old version stays. */
function keptNote(role: EditMessageProps["role"], later: number): string {
    const self = role === "user" ? "this question" : "this answer";
    const kept = later === 0 ? self : later === 1 ? `${self} and the message after it` : `${self} and the ${later} messages after it`;
    const note = `${role === "user" ? "Sending" : "Saving"} starts a new version; the current one (${kept}) is kept: switch back to it with ‹ ›.`;
    return role === "user" ? note : `${note} Ctrl+Enter saves.`;
}

/**
 * A message being edited, as a new version of the chat from there on: Enter (or the save button) keeps it, Esc
 * cancels. An edited question is asked again ("Save & send"); an edited answer is kept as written ("Save"), to steer
 * what follows or to be continued by the model.
 */
export function EditMessage({role, initial, laterMessages, onSave, onClose}: EditMessageProps) {
    const [draft, setDraft] = useState(initial);
    const contextSize = useConnection(selectContextSize);
    const sizeProblem = messageSizeProblem(draft, contextSize);
    // Only a question asks the model: an answer is saved while the server is away too.
    const unavailable = useUnavailableReason();
    const waits = role === "user" ? unavailable : null;
    const canSave = draft.trim() !== "" && sizeProblem === null && waits === null;
    const save = (): void => {
        if (!canSave) return;
        onClose();
        onSave(draft);
        // The edit box is gone (and the message edited is another one now): the focus goes where the next message is typed.
        useView.getState().focusComposer();
    };
    return (
        <form
            className={`message ${role === "user" ? "message-user" : "message-assistant"} editing`}
            data-testid={role === "user" ? "message-user-edit" : "message-assistant-edit"}
            onSubmit={(e) => {
                e.preventDefault();
                save();
            }}
        >
            <textarea
                className="edit-area"
                value={draft}
                rows={role === "user" ? 3 : 8}
                data-testid="edit-input"
                aria-label={role === "user" ? "Edit the question" : "Edit the answer"}
                // A message in Hebrew or Arabic runs right to left here, as where it is shown.
                dir="auto"
                aria-invalid={sizeProblem !== null}
                onChange={(e) => setDraft(e.target.value)}
                // An answer is often several paragraphs: Enter is a new line there, Ctrl+Enter (⌘+Enter) saves.
                aria-keyshortcuts={role === "user" ? "Enter" : "Control+Enter Meta+Enter"}
                onKeyDown={(e) => {
                    if (role === "user" ? isSendKey(e) : e.key === "Enter" && (e.ctrlKey || e.metaKey) && !isComposingKey(e)) {
                        e.preventDefault();
                        save();
                    } else if (e.key === "Escape") {
                        // Esc cancels the edit (and only the edit: an open settings panel stays).
                        e.preventDefault();
                        onClose();
                    }
                }}
                autoFocus
            />
            {sizeProblem !== null ? (
                <p className="edit-note composer-error" role="alert" data-testid="edit-too-big">
                    {sizeProblem}
                </p>
            ) : waits !== null ? (
                <p className="edit-note" role="status" data-testid="edit-unavailable">
                    {waits}
                </p>
            ) : (
                <p className="edit-note" data-testid="edit-keeps">
                    {keptNote(role, laterMessages)}
                </p>
            )}
            <div className="edit-actions">
                <button type="button" className="button" onClick={onClose}>
                    Cancel
                </button>
                <button type="submit" className="button primary" data-testid="edit-send" disabled={!canSave}>
                    {role === "user" ? <>Save &amp; send</> : "Save"}
                </button>
            </div>
        </form>
    );
}
