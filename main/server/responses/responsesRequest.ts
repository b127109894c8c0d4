import {ApiError} from "../errors.js";
import type {Body} from "../bodyFields.js";

/**
 * Fields of a Responses request that are not a chat request's, and chat fields the Responses API does not have:
 * neither is passed on (a chat field sent here, `messages` say, must not change the answer unseen).
 */
const responsesOnly = [
    "input",
    "instructions",
    "max_output_tokens",
    "text",
    "tools",
    "tool_choice",
    "include",
    "top_logprobs",
    "truncation",
    "previous_response_id",
    "conversation",
    "store",
    "background",
    "prompt",
    "reasoning",
    "metadata",
    "service_tier",
    "prompt_cache_key",
    "safety_identifier",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "response_format",
    "logprobs",
    "functions",
    "function_call",
    "stream_options"
];

/** What `include` may ask for that this server has: the answer's log-probabilities. */
const outputLogprobs = "message.output_text.logprobs";

/** Where a chat request's parameter is in the Responses request it came from (for the errors of the chat's checks). */
const paramNames: ReadonlyArray<[RegExp, string]> = [
    [/^messages\b.*/, "input"],
    [/^max_tokens$/, "max_output_tokens"],
    [/^response_format(?:\.json_schema)?/, "text.format"],
    [/^tools\[(\d+)\]\.function/, "tools[$1]"],
    [/^tool_choice\b.*/, "tool_choice"]
];

/** The same renames in an error's words, where it names a chat parameter or shows chat's shape of one. */
const messageNames: ReadonlyArray<[RegExp, string]> = [
    [/'messages(?:\[\d+\])?[^']*'/g, "'input'"],
    [/\bmax_tokens\b/g, "max_output_tokens"],
    [/'response_format(?:\.json_schema)?([^']*)'/g, "'text.format$1'"],
    [/'tools\[(\d+)\]\.function([^']*)'/g, "'tools[$1]$2'"],
    [/\{"type": "function", "function": \{"name": …\}\}/g, '{"type": "function", "name": …}']
];

/**
 * The chat completions request a Responses request asks for (POST /v1/responses is answered by the chat
 * pipeline: one reading of a conversation, one sampler, one tool-call parser, KV sharing alike). The Responses
 * shapes are checked here, with their own parameter names in the errors; the rest (sampling, the schema, the
 * tools' parameters) by the chat request's checks, whose errors {@link responsesParam} renames.
 *
 * Stateless, as Ollama's: no response is stored, so `previous_response_id` (and stored conversations or prompts)
 * are refused with a clear error rather than ignored (the model would answer without the conversation before).
 */
export function toChatRequest(body: Body): Body {
    for (const [field, why] of [
        ["previous_response_id", "this server keeps no responses: send the whole conversation in 'input'"],
        ["conversation", "this server keeps no conversations: send the whole conversation in 'input'"],
        ["prompt", "this server keeps no prompt templates"],
        ["background", "responses are answered while the request waits (stream them to see them as they come)"]
    ] as const)
        if (body[field] != null && body[field] !== false)
            throw new ApiError(400, "invalid_request_error", `'${field}' is not supported: ${why}.`, "unsupported_parameter", field);
    const chat: Body = {};
    for (const [key, value] of Object.entries(body)) if (!responsesOnly.includes(key)) chat[key] = value;
    chat.messages = leadingSystemFolded([...instructionMessages(body.instructions), ...inputMessages(body.input)]);
    if (body.max_output_tokens != null) chat.max_tokens = body.max_output_tokens;
    const format = textFormat(body.text);
    if (format != null) chat.response_format = format;
    if (body.tools != null) chat.tools = tools(body.tools);
    if (body.tool_choice != null) chat.tool_choice = toolChoice(body.tool_choice);
    // `top_logprobs` alone (a client sending it always) asks for nothing: only `include` asks for log-probabilities.
    if (wantsLogprobs(body.include)) {
        chat.logprobs = true;
        if (body.top_logprobs != null) chat.top_logprobs = body.top_logprobs;
    }
    if (body.truncation != null && body.truncation !== "disabled") {
        if (body.truncation !== "auto") throw ApiError.badRequest(`'truncation' must be "auto" or "disabled".`, "truncation");
        // "auto": a conversation longer than the context loses its oldest turns instead of failing. An `x_kvshare` that
        // is not an object is left to its own check (a 400), and one that asks for the error is a contradiction.
        const options = body.x_kvshare;
        if (options == null || (typeof options === "object" && !Array.isArray(options))) {
            const overflow = (options as Body | null)?.context_overflow;
            if (overflow != null && overflow !== "drop_oldest")
                throw ApiError.badRequest(
                    `'truncation' "auto" leaves out the oldest turns: 'x_kvshare.context_overflow' must not ask otherwise.`,
                    "truncation"
                );
            chat.x_kvshare = {...(options as Body | null), context_overflow: "drop_oldest"};
        }
    }
    return chat;
}

/** The name a chat request's parameter has in the Responses request it came from. */
export function responsesParam(param: string | null): string | null {
    if (param == null) return null;
    for (const [pattern, name] of paramNames) if (pattern.test(param)) return param.replace(pattern, name);
    return param;
}

/** An error's words with the chat parameters it names renamed as the Responses request has them. */
export function responsesMessage(message: string): string {
    return messageNames.reduce((text, [pattern, name]) => text.replace(pattern, name), message);
}

/**
 * The instructions and the system (developer) messages the input starts with, as one system message: clients send
 * both (Codex: instructions and a developer message), and many chat templates take one system message only.
 */
function leadingSystemFolded(messages: Body[]): Body[] {
    let leading = 0;
    while (leading < messages.length && (messages[leading]!.role === "system" || messages[leading]!.role === "developer")) leading++;
    if (leading < 2) return messages;
    const content = messages
        .slice(0, leading)
        .map((m) => m.content as string)
        .join("\n\n");
    return [{role: "system", content}, ...messages.slice(leading)];
}

function instructionMessages(instructions: unknown): Body[] {
    if (instructions == null || instructions === "") return [];
    if (typeof instructions !== "string") throw ApiError.badRequest("'instructions' must be a string.", "instructions");
    return [{role: "system", content: instructions}];
}

/** The conversation: a string (the user's message), or input items (messages, function calls and their outputs). */
function inputMessages(input: unknown): Body[] {
    if (typeof input === "string") {
        if (input === "") throw ApiError.badRequest("'input' must not be empty.", "input");
        return [{role: "user", content: input}];
    }
    if (!Array.isArray(input) || input.length === 0)
        throw ApiError.badRequest("'input' is required: a string, or an array of input items (messages, function calls and their outputs).", "input");
    const messages: Body[] = [];
    input.forEach((item: unknown, i) => {
        const param = `input[${i}]`;
        if (typeof item !== "object" || item == null || Array.isArray(item)) throw ApiError.badRequest(`'${param}' must be an input item (an object).`, param);
        const entry = item as Body;
        const type = entry.type ?? "message";
        if (type === "message") return void messages.push(message(entry, param));
        if (type === "function_call") return void addCall(messages, entry, param);
        if (type === "function_call_output") {
            if (typeof entry.call_id !== "string") throw ApiError.badRequest(`'${param}.call_id' must be a string.`, `${param}.call_id`);
            return void messages.push({role: "tool", tool_call_id: entry.call_id, content: partsText(entry.output, `${param}.output`)});
        }
        // A model without reasoning has none to read back: a client replaying another model's is answered as without it.
        if (type === "reasoning") return;
        throw new ApiError(
            400,
            "invalid_request_error",
            `'${param}.type' "${String(type)}" is not supported: input items are messages, function calls and function call outputs${type === "item_reference" ? " (this server keeps no items to refer to)" : ""}.`,
            "unsupported_parameter",
            `${param}.type`
        );
    });
    return messages;
}

const roles = new Set(["user", "system", "developer", "assistant"]);

function message(entry: Body, param: string): Body {
    if (typeof entry.role !== "string" || !roles.has(entry.role))
        throw ApiError.badRequest(`'${param}.role' must be one of user, system, developer, assistant.`, `${param}.role`);
    return {role: entry.role, content: partsText(entry.content, `${param}.content`)};
}

/** A call the model made earlier: with the assistant's message before it, one chat message with its calls. */
function addCall(messages: Body[], entry: Body, param: string): void {
    for (const field of ["call_id", "name", "arguments"])
        if (typeof entry[field] !== "string") throw ApiError.badRequest(`'${param}.${field}' must be a string.`, `${param}.${field}`);
    const call = {id: entry.call_id, type: "function", function: {name: entry.name, arguments: entry.arguments}};
    const last = messages.at(-1);
    if (last?.role === "assistant") last.tool_calls = [...((last.tool_calls as unknown[] | undefined) ?? []), call];
    else messages.push({role: "assistant", content: null, tool_calls: [call]});
}

/** Text parts the Responses API writes: the user's, and the assistant's own from an earlier turn. */
const textParts = new Set(["input_text", "output_text", "text", "refusal"]);

function partsText(content: unknown, param: string): string {
    if (typeof content === "string") return content;
    if (!Array.isArray(content)) throw ApiError.badRequest(`'${param}' must be a string or an array of content parts.`, param);
    return content
        .map((part: unknown, i) => {
            const {type, text, refusal} = (part ?? {}) as Body;
            const value = type === "refusal" ? refusal : text;
            if (typeof type !== "string" || !textParts.has(type) || typeof value !== "string")
                throw ApiError.badRequest(
                    `'${param}[${i}]' must be a text part ({"type": "input_text", "text": "..."}); images, files and audio are not supported by this model.`,
                    `${param}[${i}]`
                );
            return value;
        })
        .join("\n");
}

/** `text.format` as chat's `response_format`: plain text (nothing to ask), any JSON, or JSON held to a schema. */
function textFormat(text: unknown): Body | undefined {
    if (text == null) return undefined;
    if (typeof text !== "object" || Array.isArray(text)) throw ApiError.badRequest('\'text\' must be an object such as {"format": {"type": "text"}}.', "text");
    const format = (text as Body).format;
    if (format == null) return undefined;
    const {type, name, schema, strict, description} = format as Body;
    if (type === "text") return undefined;
    if (type === "json_object") return {type: "json_object"};
    if (type === "json_schema") return {type: "json_schema", json_schema: {name, schema, strict, description}};
    throw ApiError.badRequest(`'text.format.type' must be "text", "json_object" or "json_schema".`, "text.format.type");
}

/** Function tools, flat as the Responses API writes them; the built-in tools (web search, files) are OpenAI's own. */
function tools(list: unknown): Body[] {
    if (!Array.isArray(list)) throw ApiError.badRequest("'tools' must be an array of function tools.", "tools");
    return list.map((tool: unknown, i) => {
        const {type, name, description, parameters, strict} = (tool ?? {}) as Body;
        if (type !== "function")
            throw new ApiError(
                400,
                "invalid_request_error",
                `'tools[${i}].type' "${String(type)}" is not supported: this server runs function tools only (the client runs them).`,
                "unsupported_parameter",
                `tools[${i}].type`
            );
        return {type: "function", function: {name, description, parameters, strict}};
    });
}

function toolChoice(choice: unknown): unknown {
    if (typeof choice === "string") return choice;
    const {type, name} = (choice ?? {}) as Body;
    if (type === "function") return {type: "function", function: {name}};
    throw ApiError.badRequest(`'tool_choice' must be "auto", "none", "required" or {"type": "function", "name": …}.`, "tool_choice");
}

/**
 * Whether `include` asks for the answer's log-probabilities. Other inclusions (a reasoning model's encrypted
 * reasoning, built-in tools' results) have nothing to include here and are left out, as clients ask for them by default.
 */
function wantsLogprobs(include: unknown): boolean {
    if (include == null) return false;
    if (!Array.isArray(include) || include.some((entry) => typeof entry !== "string"))
        throw ApiError.badRequest("'include' must be an array of strings.", "include");
    return include.includes(outputLogprobs);
}
