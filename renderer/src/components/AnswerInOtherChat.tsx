import {DEFAULT_TITLE} from "../lib/types.js";
import {openConversation} from "../stores/openConversation.js";
import {useConversations} from "../stores/useConversations.js";

/**
 * Shown at the composer of every chat but the one being answered: answers are written one at a time, so
 * this chat can send once that one is done; its Stop is in that chat only.
 */
export function AnswerInOtherChat({conversationId}: {conversationId: string}) {
    const title = useConversations((s) => s.conversations.find((c) => c.id === conversationId)?.title ?? DEFAULT_TITLE);
    return (
        <p className="composer-notice" role="status" data-testid="answer-in-other-chat">
            An answer is being written in “{title}”. You can send here when it is done (one answer at a time).{" "}
            <button type="button" className="link-button inline" data-testid="go-to-answer" onClick={() => openConversation(conversationId)}>
                Go to that chat
            </button>
        </p>
    );
}
