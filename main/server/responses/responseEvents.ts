import type {GenerationResult, TokenLogprob} from "../../runtime/types.js";
import type {AnswerRead} from "../chatAnswer.js";
import type {ApiError} from "../errors.js";
import {
    callItems,
    cutShort,
    itemId,
    messageItem,
    outputLogprobs,
    responseDone,
    type ItemStatus,
    type MessageItem,
    type OutputItem,
    type OutputLogprob,
    type ResponseObject
} from "./responseObject.js";

type Event = {type: string; sequence_number: number} & Record<string, unknown>;

/**
 * The Responses API's stream of one answer, as its clients rebuild it (the official SDKs' stream helpers check
 * the order): the response created, an output item added, its text part added, the text's deltas, each done in
 * turn, then the function calls as items of their own, then the response completed (or incomplete, at the token
 * limit) with everything in it. Every event is numbered.
 */
export class ResponseEvents {
    private sequence = 0;
    private message: {item: MessageItem; index: number; text: string; logprobs: OutputLogprob[]} | undefined;
    private readonly output: OutputItem[] = [];

    public constructor(private readonly started: ResponseObject) {}

    /** The response created and in progress. */
    public head(): Event[] {
        return [this.event("response.created", {response: this.started}), this.event("response.in_progress", {response: this.started})];
    }

    /** A piece of the answer's text (the message item opened with the first one). */
    public text(delta: string, logprobs?: readonly TokenLogprob[]): Event[] {
        const opened = this.message == null ? this.openMessage() : [];
        const message = this.message!;
        const entries = outputLogprobs(logprobs);
        message.text += delta;
        message.logprobs.push(...entries);
        return [...opened, this.event("response.output_text.delta", {...this.at(message), delta, logprobs: entries})];
    }

    /** The answer's end: the message closed, its calls as items, the response done. */
    public finish(result: GenerationResult, read: AnswerRead): Event[] {
        const status: ItemStatus = cutShort(result) ? "incomplete" : "completed";
        const calls = callItems(read, status);
        const events: Event[] = [];
        // An answer of calls alone has no message; any other has one, empty as it may be.
        if (this.message == null && calls.length === 0) events.push(...this.openMessage());
        if (this.message != null) events.push(...this.closeMessage(status));
        for (const call of calls) {
            const index = this.output.length;
            this.output.push(call);
            const at = {item_id: call.id, output_index: index};
            events.push(
                this.event("response.output_item.added", {output_index: index, item: {...call, arguments: "", status: "in_progress"}}),
                this.event("response.function_call_arguments.delta", {...at, delta: call.arguments}),
                this.event("response.function_call_arguments.done", {...at, name: call.name, arguments: call.arguments}),
                this.event("response.output_item.done", {output_index: index, item: call})
            );
        }
        const done = responseDone(this.started, result, this.output);
        events.push(this.event(done.status === "incomplete" ? "response.incomplete" : "response.completed", {response: done}));
        return events;
    }

    /**
     * A failure after the stream began: an `error` event (its `error` field is what the OpenAI SDKs raise as an
     * APIError), then the response failed.
     */
    public failure(error: ApiError): Event[] {
        const {message, code, param, type} = error;
        const failed: ResponseObject = {...this.started, status: "failed", output: this.output, error: {code: code ?? type, message}};
        return [this.event("error", {code, message, param, error: error.toBody().error}), this.event("response.failed", {response: failed})];
    }

    private openMessage(): Event[] {
        const item = messageItem("", "in_progress", [], itemId("msg"));
        item.content = [];
        const index = this.output.length;
        this.output.push(item);
        this.message = {item, index, text: "", logprobs: []};
        const at = this.at(this.message);
        return [
            this.event("response.output_item.added", {output_index: index, item: {...item, content: []}}),
            this.event("response.content_part.added", {...at, part: {type: "output_text", text: "", annotations: [], logprobs: []}})
        ];
    }

    private closeMessage(status: ItemStatus): Event[] {
        const message = this.message!;
        const done = messageItem(message.text, status, message.logprobs, message.item.id);
        this.output[message.index] = done;
        const at = this.at(message);
        return [
            this.event("response.output_text.done", {...at, text: message.text, logprobs: message.logprobs}),
            this.event("response.content_part.done", {...at, part: done.content[0]}),
            this.event("response.output_item.done", {output_index: message.index, item: done})
        ];
    }

    private at(message: {item: MessageItem; index: number}): {item_id: string; output_index: number; content_index: number} {
        return {item_id: message.item.id, output_index: message.index, content_index: 0};
    }

    private event(type: string, fields: Record<string, unknown>): Event {
        return {type, sequence_number: this.sequence++, ...fields};
    }
}
