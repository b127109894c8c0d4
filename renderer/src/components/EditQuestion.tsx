import {useState} from "react";
import {isSendKey} from "../lib/keys.js";
import {messageSizeProblem} from "../lib/messageSize.js";
import {selectContextSize, useConnection} from "../stores/useConnection.js";
import {useUnavailableReason} from "./useUnavailableReason.js";

interface EditQuestionProps {
    initial: string;
    /** Messages after the question: sending the edit keeps them, with the question, as the older version. */
    laterMessages: number;
    onSend: (text: string) => void;
    onCancel: () => void;
}

/** What sending keeps: nothing is lost by an edit, and the note says where the old version stays. */
function keptNote(later: number): string {
    const kept = later === 0 ? "this question" : later === 1 ? "this question and the message after it" : `this question and the ${later} messages after it`;
    return `Sending starts a new version; the current one (${kept}) is kept: switch back to it with ‹ ›.`;
}

/** A question being edited: Enter (or "Save & send") asks it again as a new version of the chat; Esc cancels. */
export function EditQuestion({initial, laterMessages, onSend, onCancel}: EditQuestionProps) {
    const [draft, setDraft] = useState(initial);
    const contextSize = useConnection(selectContextSize);
    const sizeProblem = messageSizeProblem(draft, contextSize);
    const unavailable = useUnavailableReason();
    const canSend = draft.trim() !== "" && sizeProblem === null && unavailable === null;
    const send = (): void => {
        if (canSend) onSend(draft);
    };
    return (
        <form
            className="message message-user editing"
            data-testid="message-user-edit"
            onSubmit={(e) => {
                e.preventDefault();
                send();
            }}
        >
            <textarea
                className="edit-area"
                value={draft}
                rows={3}
                data-testid="edit-input"
                aria-label="Edit the question"
                // A question in Hebrew or Arabic runs right to left here, as in its bubble.
                dir="auto"
                aria-invalid={sizeProblem !== null}
                onChange={(e) => setDraft(e.target.value)}
                onKeyDown={(e) => {
                    if (isSendKey(e)) {
                        e.preventDefault();
                        send();
                    } else if (e.key === "Escape") {
                        // Esc cancels the edit (and only the edit: an open settings panel stays).
                        e.preventDefault();
                        onCancel();
                    }
                }}
                autoFocus
            />
            {sizeProblem !== null ? (
                <p className="edit-note composer-error" role="alert" data-testid="edit-too-big">
                    {sizeProblem}
                </p>
            ) : unavailable !== null ? (
                <p className="edit-note" role="status" data-testid="edit-unavailable">
                    {unavailable}
                </p>
            ) : (
                <p className="edit-note" data-testid="edit-keeps">
                    {keptNote(laterMessages)}
                </p>
            )}
            <div className="edit-actions">
                <button type="button" className="button" onClick={onCancel}>
                    Cancel
                </button>
                <button type="submit" className="button primary" data-testid="edit-send" disabled={!canSend}>
                    Save &amp; send
                </button>
            </div>
        </form>
    );
}
