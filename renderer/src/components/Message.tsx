import type {StoredMessage} from "../lib/types.js";
import {AnswerStats} from "./AnswerStats.js";
import {Markdown} from "./Markdown.js";
import {MessageActions} from "./MessageActions.js";

interface MessageProps {
    message: Pick<StoredMessage, "role" | "content" | "stats" | "error">;
    streaming?: boolean;
    onRegenerate?: (() => void) | undefined;
}

export function Message({message, streaming = false, onRegenerate}: MessageProps) {
    if (message.role === "user") {
        return (
            <div className="message message-user" data-testid="message-user">
                <div className="bubble">{message.content}</div>
            </div>
        );
    }
    const empty = message.content === "";
    return (
        <div className="message message-assistant" data-testid="message-assistant" data-streaming={streaming}>
            <div className="answer">
                {empty && streaming ? <span className="typing" aria-label="Waiting for the model"><i /><i /><i /></span> : null}
                {!empty ? <Markdown text={message.content} /> : null}
                {streaming && !empty ? <span className="caret" aria-hidden="true" /> : null}
            </div>
            {message.error !== undefined ? (
                <div className="answer-error" role="alert" data-testid="answer-error">{message.error}</div>
            ) : null}
            {message.stats ? <AnswerStats stats={message.stats} /> : null}
            {!streaming ? <MessageActions text={message.content} onRegenerate={onRegenerate} /> : null}
        </div>
    );
}
