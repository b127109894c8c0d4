import {useEffect} from "react";
import {chatAsMarkdown, chatsAsJson, downloadText, exportFileName} from "../lib/chatExport.js";
import {SAMPLING_DEFAULTS} from "../../../shared/openai.js";
import type {Conversation} from "../lib/types.js";
import {selectContextSize, useConnection} from "../stores/useConnection.js";
import {useConversations} from "../stores/useConversations.js";
import {NewChatDefaults} from "./NewChatDefaults.js";
import {NumberField} from "./NumberField.js";

/**
 * The largest seed: llama.cpp's sampler takes a 32-bit one (the server wraps larger ones, so two seeds typed
 * here would silently be the same one), and reads the largest 32-bit value as "no seed" (a random one).
 */
const maxSeed = 2 ** 32 - 2;

/** One chat's system prompt and sampling. */
export function ChatSettings({conversation, onClose}: {conversation: Conversation; onClose: () => void}) {
    const {setSystemPrompt, setParams} = useConversations.getState();
    const contextSize = useConnection(selectContextSize);
    useEffect(() => {
        const onKey = (event: KeyboardEvent): void => {
            if (event.key === "Escape" && !event.defaultPrevented) onClose();
        };
        document.addEventListener("keydown", onKey);
        return () => document.removeEventListener("keydown", onKey);
    }, [onClose]);
    return (
        <aside className="settings" id="chat-settings" data-testid="chat-settings" aria-label="Chat settings">
            <div className="settings-head">
                <h2>Chat settings</h2>
                <button type="button" className="icon-button" onClick={onClose} aria-label="Close settings">
                    ×
                </button>
            </div>
            <label className="field">
                <span className="field-label">System prompt</span>
                <textarea
                    rows={6}
                    value={conversation.systemPrompt}
                    placeholder="You are a helpful assistant."
                    data-testid="system-prompt-input"
                    onChange={(e) => setSystemPrompt(conversation.id, e.target.value)}
                />
            </label>
            {/* Keyed by chat: a half-typed (or refused) value stays with the chat it was typed in. */}
            <NumberField
                key={`${conversation.id}-temperature`}
                label="Temperature"
                value={conversation.params.temperature}
                min={0}
                max={2}
                step={0.1}
                testId="temperature-input"
                hint="0 = greedy; higher = more varied"
                onChange={(temperature) => setParams(conversation.id, {temperature})}
            />
            <NumberField
                key={`${conversation.id}-top-p`}
                label="Top P"
                value={conversation.params.top_p}
                min={0}
                max={1}
                step={0.05}
                testId="top-p-input"
                hint={`Picks only among the likeliest words that together make up this share; lower = more focused (empty = ${SAMPLING_DEFAULTS.top_p})`}
                onChange={(top_p) => setParams(conversation.id, {top_p})}
            />
            <NumberField
                key={`${conversation.id}-top-k`}
                label="Top K"
                value={conversation.params.top_k}
                min={0}
                max={1000}
                step={1}
                integer
                testId="top-k-input"
                hint={`Picks only among this many likeliest words; 0 = no limit (empty = ${SAMPLING_DEFAULTS.top_k})`}
                onChange={(top_k) => setParams(conversation.id, {top_k})}
            />
            <NumberField
                key={`${conversation.id}-min-p`}
                label="Min P"
                value={conversation.params.min_p}
                min={0}
                max={1}
                step={0.01}
                testId="min-p-input"
                hint={`Leaves out words less likely than this share of the likeliest one's chance (empty = ${SAMPLING_DEFAULTS.min_p})`}
                onChange={(min_p) => setParams(conversation.id, {min_p})}
            />
            <NumberField
                key={`${conversation.id}-repeat-penalty`}
                label="Repeat penalty"
                value={conversation.params.repeat_penalty}
                min={0}
                max={10}
                step={0.05}
                testId="repeat-penalty-input"
                hint={`Above 1, words just used are less likely again; 1 = off (empty = ${SAMPLING_DEFAULTS.repeat_penalty})`}
                onChange={(repeat_penalty) => setParams(conversation.id, {repeat_penalty})}
            />
            <NumberField
                key={`${conversation.id}-seed`}
                label="Seed"
                value={conversation.params.seed}
                min={0}
                max={maxSeed}
                step={1}
                integer
                testId="seed-input"
                hint="Empty = a random seed each answer. The same seed with the same settings and chat repeats an answer."
                onChange={(seed) => setParams(conversation.id, {seed})}
            />
            <NumberField
                key={`${conversation.id}-max-tokens`}
                label="Max tokens"
                value={conversation.params.max_tokens}
                min={1}
                max={32768}
                step={1}
                integer
                testId="max-tokens-input"
                hint={contextSize ? `Prompt + answer must fit the ${contextSize}-token context` : "Upper bound on the answer length"}
                onChange={(max_tokens) => setParams(conversation.id, {max_tokens})}
            />
            <p className="muted small">Settings apply to this chat only and are used from the next message on.</p>
            <NewChatDefaults key={conversation.id} conversation={conversation} />
            <div className="field">
                <span className="field-label">Download this chat</span>
                <div className="row">
                    <button
                        type="button"
                        className="button small"
                        data-testid="download-chat-markdown"
                        disabled={conversation.messages.length === 0}
                        onClick={() => downloadText(exportFileName(conversation.title, "md"), chatAsMarkdown(conversation), "text/markdown")}
                    >
                        Markdown
                    </button>
                    <button
                        type="button"
                        className="button small"
                        data-testid="download-chat-json"
                        disabled={conversation.messages.length === 0}
                        onClick={() => downloadText(exportFileName(conversation.title, "json"), chatsAsJson([conversation]), "application/json")}
                    >
                        JSON
                    </button>
                </div>
            </div>
        </aside>
    );
}
