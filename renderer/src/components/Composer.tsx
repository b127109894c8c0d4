import {useEffect, useId, useLayoutEffect, useRef} from "react";
import {focusLost} from "../lib/focusLost.js";
import {isSendKey} from "../lib/keys.js";
import {messageSizeProblem} from "../lib/messageSize.js";
import {useExactTokenCount} from "./useExactTokenCount.js";
import {selectAnswer, useChatStream} from "../stores/useChatStream.js";
import {selectContextSize, useConnection} from "../stores/useConnection.js";
import {useConversations} from "../stores/useConversations.js";
import {useDrafts} from "../stores/useDrafts.js";
import {useView} from "../stores/useView.js";
import {AnswerInOtherTab} from "./AnswerInOtherTab.js";
import {useAnsweredInOtherTab} from "./useAnsweredInOtherTab.js";
import {useUnavailableReason} from "./useUnavailableReason.js";

const MAX_HEIGHT_PX = 220;

/** How long after a click on Stop a click on Send (in its place) is taken as aimed at Stop. */
const STOP_CLICK_GRACE_MS = 800;
/** How long after an answer ends by itself a click on Send is taken as aimed at the Stop it replaced. */
const ANSWER_END_GRACE_MS = 300;

/** The active chat's message box: its own draft, Send, or Stop while this chat's answer is written. */
export function Composer({disabled}: {disabled: boolean}) {
    const conversationId = useConversations((s) => s.activeId);
    const otherTabAnswers = useAnsweredInOtherTab(conversationId);
    const draftKey = conversationId ?? "";
    const text = useDrafts((s) => s.drafts[draftKey] ?? "");
    const contextSize = useConnection(selectContextSize);
    const area = useRef<HTMLTextAreaElement>(null);
    const focusRequests = useView((s) => s.composerFocus);
    // A chat opened or started (the sidebar, "New chat") is ready to type into; not where the open chat was deleted
    // and the focus went to its Undo (the sidebar's toast), which a keyboard user may want next.
    useEffect(() => {
        if (document.activeElement?.closest(".undo-toast") == null) area.current?.focus();
    }, [conversationId, focusRequests]);

    useLayoutEffect(() => {
        const el = area.current;
        if (!el) return;
        el.style.height = "auto";
        el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT_PX)}px`;
    }, [text]);

    const setText = (value: string): void => useDrafts.getState().setDraft(draftKey, value);
    const answeringHere = useChatStream((s) => selectAnswer(conversationId)(s) !== null);
    // Send takes Stop's place when the answer ends: a click arriving just then was aimed at Stop (the second click
    // of a double-click on Stop, a click on Stop as the answer ended by itself) and must not send the draft. Too
    // soon after the change for a person to have seen it: 300 ms after the answer ended, 800 after Stop.
    // Only within one chat: another chat opened (its own Send, no Stop there to aim at) sends at once.
    const sendBlockedUntil = useRef(0);
    const wasAnswering = useRef({conversationId, answering: answeringHere});
    useEffect(() => {
        const was = wasAnswering.current;
        if (was.conversationId !== conversationId) sendBlockedUntil.current = 0;
        else if (was.answering && !answeringHere) {
            sendBlockedUntil.current = Math.max(sendBlockedUntil.current, Date.now() + ANSWER_END_GRACE_MS);
            // The answer ended by itself with the focus on Stop, which went with it: the focus goes where the next
            // message is typed, not to the page's top.
            if (focusLost()) area.current?.focus();
        }
        wasAnswering.current = {conversationId, answering: answeringHere};
    }, [answeringHere, conversationId]);
    // What the server reads first of each question: the chat's system prompt (the count is of both).
    const systemPrompt = useConversations((s) => s.conversations.find((c) => c.id === conversationId)?.systemPrompt ?? "");
    const exact = useExactTokenCount(systemPrompt === "" ? text : `${systemPrompt}\n${text}`, contextSize);
    const sizeProblem = messageSizeProblem(text, contextSize, exact.tokens);
    const unavailable = useUnavailableReason();
    const unavailableId = useId();
    const canSend = !answeringHere && !otherTabAnswers && !disabled && unavailable === null && text.trim() !== "" && sizeProblem === null && !exact.counting;
    const submit = (): void => {
        if (!canSend) return;
        const value = text;
        setText("");
        // The Send button gives way to Stop: keep the focus where the next message is typed.
        area.current?.focus();
        void useChatStream.getState().send(value);
    };
    const stopHere = (): void => {
        // An Enter pressed right after (meant for the answer being stopped) sends nothing.
        sendBlockedUntil.current = Date.now() + STOP_CLICK_GRACE_MS;
        if (conversationId !== null) useChatStream.getState().stop(conversationId);
        // Stop goes away with the answer: the focus stays where the next message is typed.
        area.current?.focus();
    };

    return (
        <>
            {otherTabAnswers && !answeringHere ? <AnswerInOtherTab /> : null}
            {sizeProblem !== null ? (
                <p className="composer-notice composer-error" role="alert" data-testid="message-too-big">
                    {sizeProblem}
                </p>
            ) : null}
            {unavailable !== null ? (
                <p className="composer-notice composer-unavailable" role="status" id={unavailableId} data-testid="composer-unavailable">
                    {unavailable}
                </p>
            ) : null}
            <form
                className="composer"
                onSubmit={(event) => {
                    event.preventDefault();
                    submit();
                }}
            >
                <textarea
                    ref={area}
                    rows={1}
                    value={text}
                    placeholder="Send a message  (Enter to send, Shift+Enter for a new line)"
                    data-testid="composer-input"
                    aria-label="Message"
                    // Hebrew or Arabic typed here runs right to left (the first strong letter decides).
                    dir="auto"
                    aria-invalid={sizeProblem !== null}
                    onChange={(event) => setText(event.target.value)}
                    onKeyDown={(event) => {
                        // Esc stops the answer being written (as the Stop button does).
                        if (event.key === "Escape" && answeringHere && !event.nativeEvent.isComposing) {
                            event.preventDefault();
                            stopHere();
                            return;
                        }
                        if (!isSendKey(event)) return;
                        event.preventDefault();
                        submit();
                    }}
                />
                {answeringHere ? (
                    // A button of its own (key): were Stop and Send one reused <button>, the click that stops
                    // would turn it into Send before the browser acts on the click, and submit the draft.
                    <button
                        key="stop"
                        type="button"
                        className="button stop"
                        data-testid="stop-button"
                        title="Stop (Esc)"
                        aria-keyshortcuts="Escape"
                        onClick={(event) => {
                            event.preventDefault();
                            stopHere();
                        }}
                    >
                        Stop
                    </button>
                ) : (
                    <button
                        key="send"
                        type="submit"
                        className="button primary"
                        data-testid="send-button"
                        disabled={!canSend}
                        aria-describedby={unavailable !== null ? unavailableId : undefined}
                        onClick={(event) => {
                            if (Date.now() < sendBlockedUntil.current) event.preventDefault();
                        }}
                    >
                        {exact.counting ? "Counting…" : "Send"}
                    </button>
                )}
            </form>
        </>
    );
}
