import crypto from "node:crypto";
import type {KvShareRecord, Timings} from "../../../shared/openai.js";
import type {GenerationResult, TokenLogprob} from "../../runtime/types.js";
import type {AnswerRead} from "../chatAnswer.js";
import {toChatLogprobs, toTimings, unixNow} from "../openaiShape.js";
import type {Body} from "../bodyFields.js";

/** A token's log-probability in an `output_text` part (chat's, without its wrapper). */
export type OutputLogprob = ReturnType<typeof toChatLogprobs>["content"][number];

export interface OutputText {
    type: "output_text";
    text: string;
    annotations: [];
    logprobs: OutputLogprob[];
}

export type ItemStatus = "in_progress" | "completed" | "incomplete";

export interface MessageItem {
    type: "message";
    id: string;
    status: ItemStatus;
    role: "assistant";
    content: OutputText[];
}

export interface FunctionCallItem {
    type: "function_call";
    id: string;
    call_id: string;
    name: string;
    arguments: string;
    status: ItemStatus;
}

export type OutputItem = MessageItem | FunctionCallItem;

export interface ResponseUsage {
    input_tokens: number;
    input_tokens_details: {cached_tokens: number};
    output_tokens: number;
    output_tokens_details: {reasoning_tokens: number};
    total_tokens: number;
}

/** A response as the Responses API returns it (and as its stream's first and last events carry it). */
export interface ResponseObject {
    id: string;
    object: "response";
    created_at: number;
    status: "in_progress" | "completed" | "incomplete" | "failed";
    model: string;
    output: OutputItem[];
    /**
     * The output's text joined, once answered (the SDKs' convenience, here for any client: curl, a stream's last
     * event). Not in a stream's first events: the SDKs' stream helpers would keep that empty one over their own.
     */
    output_text?: string;
    error: {code: string; message: string} | null;
    incomplete_details: {reason: "max_output_tokens"} | null;
    usage: ResponseUsage | null;
    /** Never kept: this server is stateless. */
    store: false;
    previous_response_id: null;
    timings?: Timings;
    x_kvshare?: KvShareRecord;
    [echoed: string]: unknown;
}

export function itemId(prefix: "msg" | "fc"): string {
    return `${prefix}_${crypto.randomBytes(12).toString("hex")}`;
}

/** The request's settings, as a response repeats them (clients read them back, e.g. the instructions), with the sampling used. */
function echoed(body: Body, sampling: {temperature: number; topP: number}): Body {
    return {
        instructions: body.instructions ?? null,
        max_output_tokens: body.max_output_tokens ?? null,
        temperature: sampling.temperature,
        top_p: sampling.topP,
        tools: body.tools ?? [],
        tool_choice: body.tool_choice ?? "auto",
        parallel_tool_calls: body.parallel_tool_calls ?? true,
        text: body.text ?? {format: {type: "text"}},
        truncation: body.truncation ?? "disabled",
        metadata: body.metadata ?? {},
        reasoning: {effort: null, summary: null},
        ...(body.user == null ? {} : {user: body.user})
    };
}

/** The response before its answer: what a stream's first event carries. */
export function responseInProgress(body: Body, model: string, sampling: {temperature: number; topP: number}): ResponseObject {
    return {
        id: `resp_${crypto.randomBytes(12).toString("hex")}`,
        object: "response",
        created_at: unixNow(),
        status: "in_progress",
        model,
        output: [],
        error: null,
        incomplete_details: null,
        usage: null,
        store: false,
        previous_response_id: null,
        ...echoed(body, sampling)
    };
}

/** Whether the answer was cut short by the token limit (its calls too: their arguments would be cut). */
export function cutShort(result: GenerationResult): boolean {
    return result.finishReason === "length";
}

/** The response once answered, with its output items. */
export function responseDone(started: ResponseObject, result: GenerationResult, output: OutputItem[]): ResponseObject {
    return {
        ...started,
        status: cutShort(result) ? "incomplete" : "completed",
        output,
        output_text: output.flatMap((item) => (item.type === "message" ? item.content.map((part) => part.text) : [])).join(""),
        incomplete_details: cutShort(result) ? {reason: "max_output_tokens"} : null,
        usage: {
            input_tokens: result.promptTokens,
            input_tokens_details: {cached_tokens: result.cachedTokens},
            output_tokens: result.completionTokens,
            output_tokens_details: {reasoning_tokens: 0},
            total_tokens: result.promptTokens + result.completionTokens
        },
        timings: toTimings(result),
        ...(result.kvshare == null ? {} : {x_kvshare: result.kvshare})
    };
}

export function outputLogprobs(entries: readonly TokenLogprob[] | undefined): OutputLogprob[] {
    return entries == null ? [] : toChatLogprobs(entries).content;
}

export function messageItem(text: string, status: ItemStatus, logprobs: OutputLogprob[], id = itemId("msg")): MessageItem {
    return {type: "message", id, status, role: "assistant", content: [{type: "output_text", text, annotations: [], logprobs}]};
}

export function callItems(read: AnswerRead, status: ItemStatus): FunctionCallItem[] {
    return (read.calls ?? []).map((call) => ({
        type: "function_call",
        id: itemId("fc"),
        call_id: call.id,
        name: call.function.name,
        arguments: call.function.arguments,
        status
    }));
}

/** A whole answer's output: its text as a message (unless it is calls alone), then its calls. */
export function outputOf(result: GenerationResult, read: AnswerRead): OutputItem[] {
    const status: ItemStatus = cutShort(result) ? "incomplete" : "completed";
    const text = read.content ?? "";
    const calls = callItems(read, status);
    const message = calls.length === 0 || text !== "" ? [messageItem(text, status, calls.length === 0 ? outputLogprobs(result.logprobs) : [])] : [];
    return [...message, ...calls];
}
