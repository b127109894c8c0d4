import {create} from "zustand";
import type {ChatStreamRequest} from "../../../shared/backend.js";
import type {ChatMessage} from "../../../shared/openai.js";
import {getBackend} from "../backend/current.js";
import {errorMessage, isUnauthorized} from "../backend/errors.js";
import {frameBatched} from "../lib/frameBatched.js";
import {statsFromResult} from "../lib/stats.js";
import type {Conversation, StoredMessage} from "../lib/types.js";
import {useConnection} from "./useConnection.js";
import {announceAnswering, answeringInThisBrowser} from "./answeringElsewhere.js";
import {useConversations} from "./useConversations.js";

export interface InFlight {
    conversationId: string;
    /** Text received so far. */
    text: string;
    startedAt: number;
    /** The question answered: the answer is kept after it, in whichever version holds it by then. */
    questionId: string;
    /** The answer being regenerated: it becomes an older version once this one is written (hidden meanwhile). */
    replaces?: string;
    /** The answer being continued: `text` starts with its text, and it is rewritten longer once done (hidden meanwhile). */
    continues?: string;
}

interface ChatStreamState {
    inFlight: InFlight | null;
    /** Sends a user message in the active chat (creating one if needed) and streams the answer. */
    send: (text: string) => Promise<void>;
    /** Writes a new version of the last answer of a chat (the old one is kept), or answers a last question left without one. */
    regenerate: (conversationId: string) => Promise<void>;
    /**
     * Goes on with a chat's last answer where it stopped (cut at the max tokens, or stopped by hand): the model is
     * sent the answer so far and continues it, and the answer is rewritten longer, in place.
     */
    continueAnswer: (conversationId: string) => Promise<void>;
    /** Asks a question again with new text, as a new version of the chat from there on (the old one is kept). */
    editAndResend: (conversationId: string, messageId: string, text: string) => Promise<void>;
    stop: () => void;
    /**
     * Stops the answer being written, if any; resolves once what it wrote is kept in its chat (marked as
     * stopped), so that whatever comes next (a deletion, whose undo brings the chat back) finds it there.
     */
    stopAndKeep: () => Promise<void>;
}

let controller: AbortController | null = null;
/** Settles once the answer being written is kept in its chat (or given up), and `inFlight` is cleared. */
let answerKept: Promise<void> | null = null;
/** Shows the streaming answer's text not drawn yet (it is drawn once a frame). */
let showStreamed: (() => void) | null = null;
/** Tells the other tabs the answer streaming here is over (also when the page goes away mid-answer). */
let stopAnnouncing: (() => void) | null = null;

/** Why an answer is cut short when the page goes away (a reload, a closed tab) while it streams. */
export const INTERRUPTED = "Interrupted: the page was closed or reloaded while this answer was written.";

/** The messages sent to the model: the system prompt, then the chat (failed answers left out). */
export function toChatMessages(conversation: Conversation): ChatMessage[] {
    const messages: ChatMessage[] = [];
    if (conversation.systemPrompt.trim() !== "") messages.push({role: "system", content: conversation.systemPrompt});
    for (const m of conversation.messages) {
        if (m.error !== undefined && m.content === "") continue;
        messages.push({role: m.role, content: m.content});
    }
    return messages;
}

/**
 * What is sent to answer a chat. A long chat would outgrow the model's context and fail from then on: the
 * server leaves out its oldest messages instead (the answer's hit record says how many).
 */
export function toChatRequest(conversation: Conversation): ChatStreamRequest {
    return {messages: toChatMessages(conversation), params: conversation.params, user: conversation.profile, contextOverflow: "drop_oldest"};
}

/**
 * Keeps a finished (or failed) answer after the question it answers: a new version of the answer it regenerates,
 * or the next message. Another tab may have shown another version meanwhile: the answer still goes to its question.
 * A continued answer is rewritten in place, `answer` holding its whole text.
 */
function keepAnswer(inFlight: Pick<InFlight, "conversationId" | "questionId" | "continues">, answer: Omit<StoredMessage, "id" | "createdAt">): void {
    const conversations = useConversations.getState();
    if (inFlight.continues === undefined) conversations.addAnswer(inFlight.conversationId, inFlight.questionId, answer);
    else conversations.rewriteAnswer(inFlight.conversationId, inFlight.questionId, inFlight.continues, answer);
}

/**
 * Whether a chat's last answer can be continued: it has text and stopped before the model ended it (the max tokens,
 * stopped by hand, or cut off by a failure: a server gone, the page closed, a continuation that failed).
 */
export function canContinue(message: Pick<StoredMessage, "role" | "content" | "stats" | "error"> | undefined): boolean {
    if (message?.role !== "assistant" || message.content === "") return false;
    return message.error !== undefined || message.stats?.finishReason === "length" || message.stats?.finishReason === "aborted";
}

export const useChatStream = create<ChatStreamState>()((set, get) => {
    /**
     * Answers the chat as shown; with `replaces`, the chat up to that answer (a new version of it); with `continues`,
     * the chat ending in that answer, which the model goes on with.
     */
    async function answer(conversationId: string, {replaces, continues}: {replaces?: string; continues?: string} = {}): Promise<void> {
        const shown = useConversations.getState().conversations.find((c) => c.id === conversationId);
        if (!shown) return;
        const cut = replaces === undefined ? -1 : shown.messages.findIndex((m) => m.id === replaces);
        // Only the version shown is asked about: the other versions' text never goes to the model.
        const conversation = cut < 0 ? shown : {...shown, messages: shown.messages.slice(0, cut)};
        const kept = cut < 0 ? undefined : replaces;
        const continued = continues === undefined ? undefined : conversation.messages.at(-1);
        if (continues !== undefined && continued?.id !== continues) return;
        // A continued answer's question is the message before it.
        const questionId = conversation.messages.at(continued === undefined ? -1 : -2)?.id;
        if (questionId === undefined) return;
        const asked = {conversationId, questionId, ...(continued === undefined ? {} : {continues: continued.id})};
        const before = continued?.content ?? "";
        const abort = new AbortController();
        controller = abort;
        let settle!: () => void;
        const ended = new Promise<void>((resolve) => (settle = resolve));
        answerKept = ended;
        const startedAt = performance.now();
        let firstTextMs: number | undefined;
        let pieces = 0;
        set({inFlight: {...asked, text: before, startedAt: Date.now(), ...(kept === undefined ? {} : {replaces: kept})}});
        const announced = announceAnswering(conversationId);
        stopAnnouncing = announced.done;
        const streamed = frameBatched((text) => {
            const current = get().inFlight;
            if (current && current.conversationId === conversationId) set({inFlight: {...current, text: current.text + text}});
        });
        showStreamed = streamed.flush;
        const onDelta = (delta: string): void => {
            firstTextMs ??= performance.now() - startedAt;
            pieces++;
            announced.beat();
            streamed.push(delta);
        };
        try {
            // Ended either way: all the text that came is in `inFlight` (the partial answer of a failure).
            const result = await getBackend().streamChat(toChatRequest(conversation), onDelta, abort.signal).finally(streamed.flush);
            if (abort.signal.reason === INTERRUPTED) return;
            const stats = statsFromResult(result, {firstTextMs, elapsedMs: performance.now() - startedAt, streamedPieces: pieces});
            keepAnswer(asked, {role: "assistant", content: before + result.content, stats, ...(result.kvshare ? {hit: result.kvshare} : {})});
        } catch (error) {
            // The page went away: what streamed so far was kept then (see `keepPartialOnPageHide`).
            if (abort.signal.reason === INTERRUPTED) return;
            // The streamed text (a continued answer's begins with what it continues).
            const partial = get().inFlight?.text ?? before;
            if (isUnauthorized(error)) useConnection.getState().requireKey(errorMessage(error));
            keepAnswer(asked, {role: "assistant", content: partial, error: errorMessage(error)});
        } finally {
            announced.done();
            if (stopAnnouncing === announced.done) stopAnnouncing = null;
            if (controller === abort) controller = null;
            if (showStreamed === streamed.flush) showStreamed = null;
            set({inFlight: null});
            if (answerKept === ended) answerKept = null;
            settle();
        }
    }

    return {
        inFlight: null,
        send: async (text) => {
            const content = text.trim();
            if (content === "" || get().inFlight) return;
            const conversations = useConversations.getState();
            const conversationId =
                conversations.activeId && conversations.conversations.some((c) => c.id === conversations.activeId)
                    ? conversations.activeId
                    : conversations.create();
            // Another tab of this browser answers this chat (this one answers none): a second answer would land beside that one.
            if (answeringInThisBrowser(conversationId)) return;
            conversations.addMessage(conversationId, {role: "user", content});
            await answer(conversationId);
        },
        regenerate: async (conversationId) => {
            if (get().inFlight || answeringInThisBrowser(conversationId)) return;
            const conversation = useConversations.getState().conversations.find((c) => c.id === conversationId);
            const last = conversation?.messages.at(-1);
            if (!conversation || !last) return;
            await answer(conversationId, last.role === "assistant" ? {replaces: last.id} : {});
        },
        continueAnswer: async (conversationId) => {
            if (get().inFlight || answeringInThisBrowser(conversationId)) return;
            const last = useConversations
                .getState()
                .conversations.find((c) => c.id === conversationId)
                ?.messages.at(-1);
            if (!last || !canContinue(last)) return;
            await answer(conversationId, {continues: last.id});
        },
        editAndResend: async (conversationId, messageId, text) => {
            const content = text.trim();
            if (content === "" || get().inFlight || answeringInThisBrowser(conversationId)) return;
            const conversation = useConversations.getState().conversations.find((c) => c.id === conversationId);
            if (!conversation?.messages.some((m) => m.id === messageId && m.role === "user")) return;
            useConversations.getState().addVersion(conversationId, messageId, {role: "user", content});
            await answer(conversationId);
        },
        stop: () => {
            controller?.abort();
        },
        stopAndKeep: async () => {
            const kept = answerKept;
            controller?.abort();
            await kept;
        }
    };
});

/**
 * When the page is hidden for good (reload, closed tab) while an answer streams, the text so far is kept in
 * the chat, marked as interrupted (and so offered for regeneration), instead of vanishing with the page: the
 * chat store writes it to this browser's storage at once, and the next page sends it to the server.
 */
export function keepPartialOnPageHide(target: Pick<Window, "addEventListener" | "removeEventListener"> = window): () => void {
    // Into the back-forward cache too: the page may be dropped there without another event, and one that
    // comes back shows the interrupted answer, which can be regenerated.
    const onHide = (): void => {
        showStreamed?.();
        const inFlight = useChatStream.getState().inFlight;
        if (!inFlight || !controller) return;
        controller.abort(INTERRUPTED);
        keepAnswer(inFlight, {role: "assistant", content: inFlight.text, error: INTERRUPTED});
        // At once: the page may be gone before the answer's own ending runs, and the next page would wait for a stale entry.
        stopAnnouncing?.();
        useChatStream.setState({inFlight: null});
    };
    target.addEventListener("pagehide", onHide);
    return () => target.removeEventListener("pagehide", onHide);
}
