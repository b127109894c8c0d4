import {useState} from "react";
import type {StoredMessage} from "../lib/types.js";
import {AnswerStats} from "./AnswerStats.js";
import {ContextNote} from "./ContextNote.js";
import {EditMessage} from "./EditMessage.js";
import {HitStrip} from "./HitStrip.js";
import {Markdown} from "./Markdown.js";
import {MessageActions, MessageActionsPlaceholder} from "./MessageActions.js";
import {useReturnFocus} from "./useReturnFocus.js";
import {UserMessage} from "./UserMessage.js";
import type {Versions} from "./VersionSwitcher.js";

interface MessageProps {
    message: Pick<StoredMessage, "role" | "content" | "stats" | "error" | "hit">;
    streaming?: boolean;
    onRegenerate?: (() => void) | undefined;
    /** Go on with an answer cut short (max tokens, or stopped). */
    onContinue?: (() => void) | undefined;
    /**
     * Edit the message, as a new version of the chat from there on: a question is asked again, an answer kept as
     * written (to steer what follows, or to be continued by the model).
     */
    onEdit?: ((text: string) => void) | undefined;
    /** Messages after this one in the chat. */
    laterMessages?: number;
    /** A new chat holding the chat up to this message. */
    onBranch?: (() => void) | undefined;
    /** Deletes the message (after a confirmation). */
    onDelete?: (() => void) | undefined;
    /** Where the message has other versions: which is shown (`at` names its place in the chat). */
    versions?: (Versions & {at: string}) | undefined;
}

export function Message(props: MessageProps) {
    const {message, onEdit, onDelete, laterMessages = 0, versions} = props;
    if (message.role === "user")
        return <UserMessage content={message.content} onEdit={onEdit} onDelete={onDelete} laterMessages={laterMessages} versions={versions} />;
    return <AnswerMessage {...props} />;
}

/** An answer: its text, how it ended, its figures and reuse strip, and what can be done with it. */
function AnswerMessage({message, streaming = false, onRegenerate, onContinue, onEdit, onBranch, onDelete, laterMessages = 0, versions}: MessageProps) {
    const [editing, setEditing] = useState(false);
    const editButton = useReturnFocus<HTMLButtonElement>(editing);
    if (editing && onEdit && !streaming) {
        return <EditMessage role="assistant" initial={message.content} laterMessages={laterMessages} onClose={() => setEditing(false)} onSave={onEdit} />;
    }
    const empty = message.content === "";
    const dropped = message.hit?.dropped_messages ?? 0;
    return (
        <div className="message message-assistant" data-testid="message-assistant" data-streaming={streaming}>
            {/* Who said it, for screen readers (announced with the answer in the chat's log); a heading to jump by. */}
            <h2 className="visually-hidden">Assistant said:</h2>
            <div className="answer">
                {empty && streaming ? (
                    // Said to screen readers by the chat's own status line (this sits in the log, silent while it is busy).
                    <span className="typing" aria-hidden="true">
                        <i />
                        <i />
                        <i />
                    </span>
                ) : null}
                {/* While it is written, the caret follows the last word (inside the last paragraph, item or code line). */}
                {!empty ? <Markdown text={message.content} caret={streaming} /> : null}
            </div>
            {message.error !== undefined ? (
                <div className="answer-error" role="alert" data-testid="answer-error">
                    {message.error}
                </div>
            ) : null}
            {dropped > 0 ? <ContextNote dropped={dropped} /> : null}
            {message.stats ? <AnswerStats stats={message.stats} /> : null}
            {message.hit ? <HitStrip record={message.hit} /> : null}
            {/* While it is written, an empty row holds the actions' place: the answer does not jump when they come. */}
            {streaming ? (
                <MessageActionsPlaceholder />
            ) : (
                <MessageActions
                    text={message.content}
                    onRegenerate={onRegenerate}
                    onContinue={onContinue}
                    onEdit={onEdit ? () => setEditing(true) : undefined}
                    editButton={editButton}
                    onBranch={onBranch}
                    onDelete={onDelete}
                    versions={versions}
                />
            )}
        </div>
    );
}
