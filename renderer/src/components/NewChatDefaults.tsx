import {useState} from "react";
import {hasChatDefaults, saveChatDefaults} from "../lib/chatDefaults.js";
import type {Conversation} from "../lib/types.js";

/** "Use for new chats": this chat's system prompt and sampling become what new chats start with in this browser. */
export function NewChatDefaults({conversation}: {conversation: Conversation}) {
    const [saved, setSaved] = useState(hasChatDefaults);
    const [said, setSaid] = useState("");
    const use = (): void => {
        const kept = saveChatDefaults({systemPrompt: conversation.systemPrompt, params: conversation.params});
        setSaved(kept || hasChatDefaults());
        setSaid(kept ? "New chats start with these settings." : "This browser could not keep them (its storage is refused or full).");
    };
    const reset = (): void => {
        saveChatDefaults(null);
        setSaved(false);
        setSaid("New chats start with the app's settings.");
    };
    return (
        <div className="field">
            <span className="field-label">New chats</span>
            <div className="row">
                <button type="button" className="button small" data-testid="use-for-new-chats" onClick={use}>
                    Use for new chats
                </button>
                {saved ? (
                    <button type="button" className="link-button" data-testid="reset-new-chats" onClick={reset}>
                        Back to the app&apos;s
                    </button>
                ) : null}
            </div>
            <span className="field-hint" role="status" data-testid="new-chat-defaults-said">
                {said}
            </span>
        </div>
    );
}
