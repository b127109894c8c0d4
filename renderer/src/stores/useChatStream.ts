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
    /**
     * The answers being written, by chat: each chat answers one question at a time, and several chats at once
     * (the server serves several requests side by side, and queues the rest).
     */
    answers: Readonly<Record<string, InFlight>>;
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
    /**
     * Keeps an answer rewritten by hand, as a new version of the chat from there on (the old one is kept), marked
     * as edited; the model is not asked (Continue goes on from the text written).
     */
    editAnswer: (conversationId: string, answerId: string, text: string) => void;
    /** Stops the answer a chat is being written, if any. */
    stop: (conversationId: string) => void;
    /**
     * Stops the answer a chat is being written, if any; resolves once what it wrote is kept in its chat (marked as
     * stopped), so that whatever comes next (a deletion, whose undo brings the chat back) finds it there.
     */
    stopAndKeep: (conversationId: string) => Promise<void>;
}

/** What an answer being written holds besides its text: how to stop it, and when it is kept. */
interface Running {
    controller: AbortController;
    /** Settles once the answer is kept in its chat (or given up), and its entry in `answers` is gone. */
    kept: Promise<void>;
    /** Shows the streamed text not drawn yet (it is drawn once a frame). */
    showStreamed: () => void;
    /** Tells the other tabs the answer streaming here is over (also when the page goes away mid-answer). */
    stopAnnouncing: () => void;
}

/** The answers being written, by chat (see `answers`). */
const running = new Map<string, Running>();

/** The answer a chat is being written, or null. */
export const selectAnswer =
    (conversationId: string | null | undefined) =>
    (state: Pick<ChatStreamState, "answers">): InFlight | null =>
        conversationId == null ? null : (state.answers[conversationId] ?? null);

/** `answers` without one chat's. */
function without(answers: Readonly<Record<string, InFlight>>, conversationId: string): Record<string, InFlight> {
    const rest = {...answers};
    delete rest[conversationId];
    return rest;
}

/** Why an answer is cut short when the page goes away (a reload, a closed tab) while it streams. */
export const INTERRUPTED = "Interrupted: the page was closed or reloaded while this answer was written.";

/** Why an answer is stopped and dropped: its chat is being forgotten (signed out), so nothing of it is kept. */
const FORGOTTEN = "Forgotten: signed out of this browser while this answer was written.";

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
    // An answer written by hand is continued as it stands (write its start, and let the model go on).
    return message.error !== undefined || ["length", "aborted", "edited"].includes(message.stats?.finishReason ?? "stop");
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
        const replaced = cut < 0 ? undefined : replaces;
        const continued = continues === undefined ? undefined : conversation.messages.at(-1);
        if (continues !== undefined && continued?.id !== continues) return;
        // A continued answer's question is the message before it.
        const questionId = conversation.messages.at(continued === undefined ? -1 : -2)?.id;
        if (questionId === undefined) return;
        const asked = {conversationId, questionId, ...(continued === undefined ? {} : {continues: continued.id})};
        const before = continued?.content ?? "";
        const abort = new AbortController();
        let settle!: () => void;
        const kept = new Promise<void>((resolve) => (settle = resolve));
        const startedAt = performance.now();
        let firstTextMs: number | undefined;
        let pieces = 0;
        const answering: InFlight = {...asked, text: before, startedAt: Date.now(), ...(replaced === undefined ? {} : {replaces: replaced})};
        set({answers: {...get().answers, [conversationId]: answering}});
        const announced = announceAnswering(conversationId);
        const streamed = frameBatched((text) => {
            const current = get().answers[conversationId];
            if (current) set({answers: {...get().answers, [conversationId]: {...current, text: current.text + text}}});
        });
        const entry: Running = {controller: abort, kept, showStreamed: streamed.flush, stopAnnouncing: announced.done};
        running.set(conversationId, entry);
        const onDelta = (delta: string): void => {
            firstTextMs ??= performance.now() - startedAt;
            pieces++;
            announced.beat();
            streamed.push(delta);
        };
        try {
            // Ended either way: all the text that came is in `answers` (the partial answer of a failure).
            const result = await getBackend().streamChat(toChatRequest(conversation), onDelta, abort.signal).finally(streamed.flush);
            if (abort.signal.reason === INTERRUPTED || abort.signal.reason === FORGOTTEN) return;
            const stats = statsFromResult(result, {firstTextMs, elapsedMs: performance.now() - startedAt, streamedPieces: pieces});
            keepAnswer(asked, {role: "assistant", content: before + result.content, stats, ...(result.kvshare ? {hit: result.kvshare} : {})});
        } catch (error) {
            // The page went away: what streamed so far was kept then (see `keepPartialOnPageHide`); or it was forgotten.
            if (abort.signal.reason === INTERRUPTED || abort.signal.reason === FORGOTTEN) return;
            // The streamed text (a continued answer's begins with what it continues).
            const partial = get().answers[conversationId]?.text ?? before;
            if (isUnauthorized(error)) useConnection.getState().requireKey(errorMessage(error));
            keepAnswer(asked, {role: "assistant", content: partial, error: errorMessage(error)});
        } finally {
            announced.done();
            if (running.get(conversationId) === entry) {
                running.delete(conversationId);
                set({answers: without(get().answers, conversationId)});
            }
            settle();
        }
    }

    /** Whether a chat is being answered, here or in another tab of this browser (a second answer would land beside it). */
    const answering = (conversationId: string): boolean => get().answers[conversationId] !== undefined || answeringInThisBrowser(conversationId);

    return {
        answers: {},
        send: async (text) => {
            const content = text.trim();
            if (content === "") return;
            const conversations = useConversations.getState();
            const conversationId =
                conversations.activeId && conversations.conversations.some((c) => c.id === conversations.activeId)
                    ? conversations.activeId
                    : conversations.create();
            if (answering(conversationId)) return;
            conversations.addMessage(conversationId, {role: "user", content});
            await answer(conversationId);
        },
        regenerate: async (conversationId) => {
            if (answering(conversationId)) return;
            const conversation = useConversations.getState().conversations.find((c) => c.id === conversationId);
            const last = conversation?.messages.at(-1);
            if (!conversation || !last) return;
            await answer(conversationId, last.role === "assistant" ? {replaces: last.id} : {});
        },
        continueAnswer: async (conversationId) => {
            if (answering(conversationId)) return;
            const last = useConversations
                .getState()
                .conversations.find((c) => c.id === conversationId)
                ?.messages.at(-1);
            if (!last || !canContinue(last)) return;
            await answer(conversationId, {continues: last.id});
        },
        editAndResend: async (conversationId, messageId, text) => {
            const content = text.trim();
            if (content === "" || answering(conversationId)) return;
            const conversation = useConversations.getState().conversations.find((c) => c.id === conversationId);
            if (!conversation?.messages.some((m) => m.id === messageId && m.role === "user")) return;
            useConversations.getState().addVersion(conversationId, messageId, {role: "user", content});
            await answer(conversationId);
        },
        editAnswer: (conversationId, answerId, text) => {
            const content = text.trimEnd();
            if (content.trim() === "" || answering(conversationId)) return;
            const conversation = useConversations.getState().conversations.find((c) => c.id === conversationId);
            if (!conversation?.messages.some((m) => m.id === answerId && m.role === "assistant")) return;
            useConversations.getState().addVersion(conversationId, answerId, {role: "assistant", content, stats: {finishReason: "edited"}});
        },
        stop: (conversationId) => {
            running.get(conversationId)?.controller.abort();
        },
        stopAndKeep: async (conversationId) => {
            const entry = running.get(conversationId);
            entry?.controller.abort();
            await entry?.kept;
        }
    };
});

/**
 * When the page is hidden for good (reload, closed tab) while answers stream, the text of each so far is kept in
 * the chat, marked as interrupted (and so offered for regeneration), instead of vanishing with the page: the
 * chat store writes it to this browser's storage at once, and the next page sends it to the server.
 */
export function keepPartialOnPageHide(target: Pick<Window, "addEventListener" | "removeEventListener"> = window): () => void {
    // Into the back-forward cache too: the page may be dropped there without another event, and one that
    // comes back shows the interrupted answer, which can be regenerated.
    const onHide = (): void => {
        for (const [conversationId, entry] of running) {
            entry.showStreamed();
            const answering = useChatStream.getState().answers[conversationId];
            running.delete(conversationId);
            if (!answering) continue;
            entry.controller.abort(INTERRUPTED);
            keepAnswer(answering, {role: "assistant", content: answering.text, error: INTERRUPTED});
            // At once: the page may be gone before the answer's own ending runs, and the next page would wait for a stale entry.
            entry.stopAnnouncing();
        }
        useChatStream.setState({answers: {}});
    };
    target.addEventListener("pagehide", onHide);
    return () => target.removeEventListener("pagehide", onHide);
}

/** Stops every answer being written and keeps nothing of them (signing out: their chats are forgotten). */
export function dropAnswers(): void {
    for (const [conversationId, entry] of running) {
        running.delete(conversationId);
        entry.controller.abort(FORGOTTEN);
        entry.stopAnnouncing();
    }
    useChatStream.setState({answers: {}});
}
