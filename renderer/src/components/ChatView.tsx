import {announce} from "../lib/announce.js";
import {CHATS_IN_BROWSER, CHATS_ON_SERVER} from "../lib/chatsKept.js";
import type {Conversation} from "../lib/types.js";
import {versionPosition} from "../lib/versions.js";
import {canContinue, selectAnswer, useChatStream} from "../stores/useChatStream.js";
import {useConversations} from "../stores/useConversations.js";
import {selectChatOnly, useSignedIn} from "../stores/useSignedIn.js";
import {useView} from "../stores/useView.js";
import {Message} from "./Message.js";
import {MessageBoundary} from "./MessageBoundary.js";
import {useAnsweredInOtherTab} from "./useAnsweredInOtherTab.js";
import {useFollowLatest} from "./useFollowLatest.js";
import {useUnavailableReason} from "./useUnavailableReason.js";

/**
 * Deletes a message. The button pressed goes with it, so the focus goes where the next question is typed, and a
 * screen reader hears what happened (the chat's log announces additions only).
 */
function deleteHere(conversationId: string, messageId: string, role: "user" | "assistant"): void {
    const chat = () => useConversations.getState().conversations.find((c) => c.id === conversationId);
    const before = chat();
    useConversations.getState().deleteMessage(conversationId, messageId);
    // Gone already (deleted in another tab meanwhile): nothing happened here to tell.
    if (chat() !== before) announce(role === "user" ? "Question deleted" : "Answer deleted");
    useView.getState().focusComposer();
}

/** A new chat holding this one up to an answer, shown, with the focus where its next question is typed. */
function branchHere(conversationId: string, messageId: string): void {
    if (useConversations.getState().branch(conversationId, messageId) !== null) useView.getState().focusComposer();
}

export function ChatView({conversation}: {conversation: Conversation | undefined}) {
    const inFlight = useChatStream(selectAnswer(conversation?.id));
    const regenerate = useChatStream((s) => s.regenerate);
    const continueAnswer = useChatStream((s) => s.continueAnswer);
    // A chat answers one question at a time: while it is answered, it offers nothing that asks again.
    const busy = inFlight !== null;
    // Nor does a chat another tab answers: the answer goes after its question there (the composer says so).
    const otherTabAnswers = useAnsweredInOtherTab(conversation?.id);
    const locked = busy || otherTabAnswers;
    const editAndResend = useChatStream((s) => s.editAndResend);
    const editAnswer = useChatStream((s) => s.editAnswer);
    const unavailable = useUnavailableReason();
    const showVersion = useConversations((s) => s.showVersion);
    const chatOnly = useSignedIn(selectChatOnly);

    const messages = conversation?.messages ?? [];
    const lastId = messages.at(-1)?.id;
    // A regenerated answer gives way to the new one while it is written (it stays as an older version); a
    // continued one to itself growing.
    const givesWay = inFlight?.replaces ?? inFlight?.continues;
    const replacedAt = givesWay === undefined ? -1 : messages.findIndex((m) => m.id === givesWay);
    const shown = replacedAt < 0 ? messages : messages.slice(0, replacedAt);
    const {scroller, following, onScroll, jumpToLatest} = useFollowLatest(conversation?.id, `${lastId}:${inFlight?.text.length ?? -1}`);
    const unanswered = !inFlight && messages.at(-1)?.role === "user";

    if (!conversation || (messages.length === 0 && !inFlight)) {
        return (
            <div className="chat-view empty" data-testid="chat-empty">
                <div className="empty-state">
                    <h1>What can I help with?</h1>
                    <p className="muted" data-testid="chats-kept-intro">
                        {chatOnly ? `Everything runs on this KVShare server. ${CHATS_IN_BROWSER}` : `Everything runs on this machine. ${CHATS_ON_SERVER}`}
                    </p>
                </div>
            </div>
        );
    }

    return (
        <div className="chat-view" ref={scroller} onScroll={onScroll} data-testid="chat-view">
            {/* The page's heading: the chat's title (shown in the header, which is not a heading on every page). */}
            <h1 className="visually-hidden" data-testid="chat-heading" dir="auto">
                {conversation.title}
            </h1>
            {/* The wait for the model, said outside the log (a busy log's changes are not read out until it is done). */}
            <p className="visually-hidden" role="status" data-testid="chat-waiting">
                {inFlight !== null && inFlight.text === "" ? "Waiting for the model" : ""}
            </p>
            {/* A log: screen readers announce new messages, and the answer once it is written (busy meanwhile). One of
                its own per chat (key): another chat opened is not news, and would be read out whole as an addition. */}
            <div key={conversation.id} className="messages" role="log" aria-live="polite" aria-label="Messages" aria-busy={inFlight !== null}>
                {shown.map((m, index) => (
                    <MessageBoundary key={m.id}>
                        <Message
                            message={m}
                            onRegenerate={m.role === "assistant" && m.id === lastId && !locked ? () => void regenerate(conversation.id) : undefined}
                            onContinue={m.id === lastId && !locked && canContinue(m) ? () => void continueAnswer(conversation.id) : undefined}
                            onEdit={
                                locked
                                    ? undefined
                                    : m.role === "user"
                                      ? (text) => void editAndResend(conversation.id, m.id, text)
                                      : (text) => editAnswer(conversation.id, m.id, text)
                            }
                            onBranch={m.role === "assistant" && m.content !== "" ? () => branchHere(conversation.id, m.id) : undefined}
                            // Not while the chat is answered: the answer goes after a question that must still be there.
                            onDelete={locked ? undefined : () => deleteHere(conversation.id, m.id, m.role)}
                            laterMessages={messages.length - index - 1}
                            versions={
                                m.alternatives?.length
                                    ? {
                                          ...versionPosition(m),
                                          at: `${conversation.id}:${index}`,
                                          // While this chat is answered (here or in another tab) the version shown stays put.
                                          onShow: inFlight || otherTabAnswers ? undefined : (target) => showVersion(conversation.id, m.id, target)
                                      }
                                    : undefined
                            }
                        />
                    </MessageBoundary>
                ))}
                {inFlight ? <Message message={{role: "assistant", content: inFlight.text}} streaming /> : null}
                {unanswered && otherTabAnswers ? (
                    <div className="unanswered" data-testid="answered-elsewhere">
                        <span className="muted small">Being answered in another tab…</span>
                    </div>
                ) : unanswered ? (
                    // A question whose answer never arrived (the app or the machine stopped while it was asked).
                    <div className="unanswered" data-testid="unanswered">
                        <span className="muted small">No answer to this question.</span>
                        {busy ? null : (
                            <button
                                type="button"
                                className="button"
                                data-testid="answer-button"
                                // While the server does not answer, it waits (the composer says why).
                                disabled={unavailable !== null}
                                title={unavailable ?? undefined}
                                onClick={() => void regenerate(conversation.id)}
                            >
                                Answer it
                            </button>
                        )}
                    </div>
                ) : null}
            </div>
            {following ? null : (
                <button type="button" className="jump-latest" data-testid="jump-to-latest" onClick={jumpToLatest}>
                    ↓ Jump to latest
                </button>
            )}
        </div>
    );
}
