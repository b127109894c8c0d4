import {useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent} from "react";
import {useChatStream} from "../stores/useChatStream.js";
import {useConversations} from "../stores/useConversations.js";
import {useView} from "../stores/useView.js";

const MAX_HEIGHT_PX = 220;

export function Composer({disabled}: {disabled: boolean}) {
    const [text, setText] = useState("");
    const streaming = useChatStream((s) => s.inFlight !== null);
    const {send, stop} = useChatStream.getState();
    const area = useRef<HTMLTextAreaElement>(null);
    const activeId = useConversations((s) => s.activeId);
    const focusRequests = useView((s) => s.composerFocus);
    // A chat opened or started (the sidebar, "New chat") is ready to type into.
    useEffect(() => area.current?.focus(), [activeId, focusRequests]);

    useLayoutEffect(() => {
        const el = area.current;
        if (!el) return;
        el.style.height = "auto";
        el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT_PX)}px`;
    }, [text]);

    const canSend = !streaming && !disabled && text.trim() !== "";
    const submit = (): void => {
        if (!canSend) return;
        const value = text;
        setText("");
        // The Send button gives way to Stop: keep the focus where the next message is typed.
        area.current?.focus();
        void send(value);
    };
    const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>): void => {
        if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
            event.preventDefault();
            submit();
        }
    };

    return (
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
                onChange={(event) => setText(event.target.value)}
                onKeyDown={onKeyDown}
            />
            {streaming ? (
                <button type="button" className="button stop" data-testid="stop-button" onClick={stop}>
                    Stop
                </button>
            ) : (
                <button type="submit" className="button primary" data-testid="send-button" disabled={!canSend}>
                    Send
                </button>
            )}
        </form>
    );
}
