import {useState} from "react";
import type {StoredMessage} from "../lib/types.js";
import {AnswerStats} from "./AnswerStats.js";
import {HitStrip} from "./HitStrip.js";
import {Markdown} from "./Markdown.js";
import {MessageActions} from "./MessageActions.js";

interface MessageProps {
    message: Pick<StoredMessage, "role" | "content" | "stats" | "error" | "hit">;
    streaming?: boolean;
    onRegenerate?: (() => void) | undefined;
    /** Edit a question and ask again (drops what followed it). */
    onEdit?: ((text: string) => void) | undefined;
}

export function Message({message, streaming = false, onRegenerate, onEdit}: MessageProps) {
    const [editing, setEditing] = useState(false);
    const [draft, setDraft] = useState(message.content);
    if (message.role === "user") {
        if (editing && onEdit) {
            return (
                <form
                    className="message message-user editing"
                    data-testid="message-user-edit"
                    onSubmit={(e) => {
                        e.preventDefault();
                        setEditing(false);
                        onEdit(draft);
                    }}
                >
                    <textarea
                        className="edit-area"
                        value={draft}
                        rows={3}
                        data-testid="edit-input"
                        onChange={(e) => setDraft(e.target.value)}
                        onKeyDown={(e) => {
                            // Esc cancels the edit (and only the edit: an open settings panel stays).
                            if (e.key !== "Escape") return;
                            e.preventDefault();
                            setEditing(false);
                        }}
                        autoFocus
                    />
                    <div className="edit-actions">
                        <button type="button" className="button" onClick={() => setEditing(false)}>
                            Cancel
                        </button>
                        <button type="submit" className="button primary" data-testid="edit-send" disabled={draft.trim() === ""}>
                            Save &amp; send
                        </button>
                    </div>
                </form>
            );
        }
        return (
            <div className="message message-user">
                <div className="bubble" data-testid="message-user">
                    {message.content}
                </div>
                {onEdit ? (
                    <button
                        type="button"
                        className="link-button edit-button"
                        data-testid="edit-button"
                        onClick={() => {
                            setDraft(message.content);
                            setEditing(true);
                        }}
                    >
                        Edit
                    </button>
                ) : null}
            </div>
        );
    }
    const empty = message.content === "";
    return (
        <div className="message message-assistant" data-testid="message-assistant" data-streaming={streaming}>
            <div className="answer">
                {empty && streaming ? (
                    <span className="typing" aria-label="Waiting for the model">
                        <i />
                        <i />
                        <i />
                    </span>
                ) : null}
                {!empty ? <Markdown text={message.content} /> : null}
                {streaming && !empty ? <span className="caret" aria-hidden="true" /> : null}
            </div>
            {message.error !== undefined ? (
                <div className="answer-error" role="alert" data-testid="answer-error">
                    {message.error}
                </div>
            ) : null}
            {message.stats ? <AnswerStats stats={message.stats} /> : null}
            {message.hit ? <HitStrip record={message.hit} /> : null}
            {!streaming ? <MessageActions text={message.content} onRegenerate={onRegenerate} /> : null}
        </div>
    );
}
