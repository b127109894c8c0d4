import {isRecomputePolicy, recomputePolicies} from "../../shared/settings.js";
import {hasInvisibleCharacters} from "../../shared/names.js";
import type {HistoryCall, PlainMessage} from "../runtime/PromptBuilder.js";
import type {GenerationIo} from "../service/RequestPipeline.js";
import {defaultSampling, type OutputFormat, type Sampling} from "../runtime/types.js";
import {ApiError} from "./errors.js";
import {optionalBoolean, optionalInteger, optionalNumber, type Body} from "./bodyFields.js";
import {parseLogitBias} from "./logitBias.js";
import {parseResponseFormat} from "./responseFormat.js";
import {parseToolChoice, type ForcedToolCall, type OfferedTools} from "./toolCalls.js";

/** Generation settings common to chat and text completions, validated. */
export interface GenerationParams {
    maxTokens?: number;
    maxTokensExplicit: boolean;
    stops: string[];
    sampling: Sampling;
    stream: boolean;
    includeUsage: boolean;
    user?: string;
    format?: OutputFormat;
    /** Log-probabilities asked for, with this many alternatives per token. */
    logprobs?: number;
}

export interface ChatParams extends GenerationParams {
    messages: PlainMessage[];
    /** The tool call the answer must be (`tool_choice` "required" or a named function). */
    toolCall?: ForcedToolCall;
    /** Functions the model may call (`tool_choice` "auto"). */
    tools?: OfferedTools;
}

export interface CompletionParams extends GenerationParams {
    /** The prompt's text; empty when it was sent as token ids. */
    prompt: string;
    /** The prompt as token ids, when it was sent so (taken as given: no start token is added). */
    promptTokens?: number[];
    echo: boolean;
    /** `echo` with `logprobs`: the prompt's tokens are scored too (the legacy API's way to score text). */
    promptLogprobs: boolean;
}

export interface EmbeddingParams {
    /** Texts, or token ids taken as they are (as the OpenAI API allows: lm-eval and LangChain send both). */
    inputs: Array<string | number[]>;
    encoding: "float" | "base64";
}

/** Longest text /tokenize takes. */
const maxTokenizeCharacters = 262_144;

/** Most alternatives per token in `logprobs` (OpenAI's limit for chat). */
const maxTopLogprobs = 20;

/** Longest `user` accepted (it is stored as part of a scope name). */
const maxUserLength = 256;

const roles = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

export function parseChatRequest(body: Body, maxTokensCap: number, vocabularySize: number): ChatParams {
    const raw = body.messages;
    if (!Array.isArray(raw)) throw ApiError.badRequest("'messages' is required and must be an array of messages.", "messages");
    if (raw.length === 0) throw ApiError.badRequest("'messages' must contain at least one message.", "messages");
    const messages = raw.map((message, i) => parseMessage(message, i));
    // Chat asks with a flag and a count of alternatives; `top_logprobs` alone is refused, as OpenAI does.
    const logprobs = optionalBoolean(body, "logprobs") ?? false;
    const top = optionalInteger(body, "top_logprobs", 0, maxTopLogprobs);
    if (top != null && !logprobs) throw ApiError.badRequest("'top_logprobs' requires 'logprobs' to be true.", "top_logprobs");
    const generation = {...parseGenerationParams(body, maxTokensCap, vocabularySize), ...(logprobs ? {logprobs: top ?? 0} : {})};
    const {forced: toolCall, offered} = parseToolChoice(body);
    // A prefill is continued as text; an answer held to a grammar (structured output, a required call) starts afresh.
    const last = messages.at(-1);
    if (last?.role === "assistant" && last.calls == null && last.content.length > 0 && (toolCall != null || generation.format != null))
        throw ApiError.badRequest(
            "A conversation ending with an assistant message (a prefill) cannot be continued under response_format or a required tool call: the answer is held to its own grammar from the start.",
            "messages"
        );
    // Structured output is the answer's whole shape: no call syntax fits in it, so functions are not offered then.
    if (toolCall == null) return {messages, ...generation, ...(offered == null || generation.format != null ? {} : {tools: offered})};
    if (generation.format != null)
        throw ApiError.badRequest("'response_format' cannot be asked for with a required tool call (the call's arguments are the answer).", "response_format");
    // The request's stop strings would cut the call's arguments short: a required call ends with them.
    return {
        messages: withInstructions(messages, toolCall.instructions),
        ...generation,
        stops: [],
        format: toolCall.format,
        toolCall
    };
}

/** The tools' instructions at the head of the conversation, in its system message if it has one. */
function withInstructions(messages: PlainMessage[], instructions: string): PlainMessage[] {
    const [first, ...rest] = messages;
    if (first?.role === "system") return [{role: "system", content: `${first.content}\n\n${instructions}`}, ...rest];
    return [{role: "system", content: instructions}, ...messages];
}

export function parseCompletionRequest(body: Body, maxTokensCap: number, vocabularySize: number): CompletionParams {
    let prompt = body.prompt;
    // One prompt per request: a string, token ids, or a list holding one of them (as the OpenAI SDKs send it).
    if (Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === "string" || Array.isArray(prompt[0]))) prompt = prompt[0];
    const promptTokens =
        Array.isArray(prompt) && prompt.length > 0 && prompt.every((t) => typeof t === "number") ? tokenIds(prompt, vocabularySize, "prompt") : undefined;
    if (promptTokens != null) prompt = "";
    else if (typeof prompt !== "string")
        throw ApiError.badRequest("'prompt' is required and must be a string, an array of token ids, or an array holding one of them.", "prompt");
    else if (prompt.length === 0) throw ApiError.badRequest("'prompt' must not be empty.", "prompt");
    if (body.suffix != null && body.suffix !== "")
        throw new ApiError(400, "invalid_request_error", "'suffix' (fill-in-the-middle) is not supported by this model.", "unsupported_parameter", "suffix");
    // One completion per request: `best_of` above 1 would be ignored, so it is refused like `n`.
    optionalInteger(body, "best_of", 1, 1);
    // Text completions ask with the count of alternatives itself (0: the chosen tokens' only).
    const logprobs = optionalInteger(body, "logprobs", 0, maxTopLogprobs);
    const echo = optionalBoolean(body, "echo") ?? false;
    return {
        prompt: prompt as string,
        ...(promptTokens == null ? {} : {promptTokens}),
        echo,
        promptLogprobs: echo && logprobs != null,
        ...parseGenerationParams(body, maxTokensCap, vocabularySize),
        ...(logprobs == null ? {} : {logprobs})
    };
}

export function parseEmbeddingRequest(body: Body, vectorSize: number, vocabularySize: number): EmbeddingParams {
    const input = body.input;
    const isIds = (value: unknown): value is unknown[] => Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === "number");
    let inputs: Array<string | number[]>;
    if (typeof input === "string") inputs = [input];
    else if (isIds(input)) inputs = [tokenIds(input, vocabularySize, "input")];
    else if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === "string")) inputs = input as string[];
    else if (Array.isArray(input) && input.length > 0 && input.every(isIds)) inputs = input.map((ids, i) => tokenIds(ids, vocabularySize, `input[${i}]`));
    else
        throw ApiError.badRequest(
            "'input' is required and must be a string, an array of strings, an array of token ids, or an array of such arrays (none of them empty).",
            "input"
        );
    if (inputs.some((text) => text.length === 0)) throw ApiError.badRequest("'input' must not contain empty strings.", "input");
    if (inputs.length > 256) throw ApiError.badRequest("'input' may hold at most 256 inputs.", "input");
    const encoding = body.encoding_format ?? "float";
    if (encoding !== "float" && encoding !== "base64") throw ApiError.badRequest('\'encoding_format\' must be "float" or "base64".', "encoding_format");
    // Shortening a vector is sound only for models trained for it (as OpenAI's are); a GGUF does not say so.
    const dimensions = body.dimensions;
    if (dimensions != null && dimensions !== vectorSize)
        throw new ApiError(
            400,
            "invalid_request_error",
            `'dimensions': this model's embeddings have ${vectorSize} dimensions and cannot be shortened; send ${vectorSize} or leave it out.`,
            "unsupported_parameter",
            "dimensions"
        );
    return {inputs, encoding};
}

/** The fields `x_kvshare` may hold. */
const kvshareFields: readonly string[] = ["recompute_policy", "recompute_budget", "store", "context_overflow"];

/**
 * The request's own recompute choices (`x_kvshare`: `recompute_policy`, `recompute_budget`, `store`);
 * undefined when absent. Unknown fields are refused here, unlike at the top level: a misspelt field
 * would otherwise silently run the request under the settings' policy (or cache a prompt asked not to be).
 */
export function parseKvShareOptions(body: Body, route: "chat" | "completion"): Pick<GenerationIo, "recompute" | "contextOverflow"> {
    const raw = body.x_kvshare;
    if (raw == null) return {};
    if (typeof raw !== "object" || Array.isArray(raw))
        throw ApiError.badRequest("'x_kvshare' must be an object with recompute_policy, recompute_budget, store and/or context_overflow.", "x_kvshare");
    const options = raw as Body;
    for (const key of Object.keys(options))
        if (!kvshareFields.includes(key))
            throw ApiError.badRequest(`'x_kvshare.${key}' is not a known field; x_kvshare takes ${kvshareFields.join(", ")}.`, `x_kvshare.${key}`);
    const policy = options.recompute_policy;
    if (policy != null && !isRecomputePolicy(policy))
        throw ApiError.badRequest(
            `'x_kvshare.recompute_policy' must be one of ${recomputePolicies.map((p) => `"${p}"`).join(", ")}.`,
            "x_kvshare.recompute_policy"
        );
    const overflow = options.context_overflow;
    if (overflow != null && overflow !== "error" && overflow !== "drop_oldest")
        throw ApiError.badRequest(`'x_kvshare.context_overflow' must be "error" or "drop_oldest".`, "x_kvshare.context_overflow");
    if (overflow === "drop_oldest" && route !== "chat")
        throw ApiError.badRequest(
            `'x_kvshare.context_overflow' "drop_oldest" leaves out a chat's messages: it is for chat completions.`,
            "x_kvshare.context_overflow"
        );
    return {
        recompute: {
            policy: policy ?? undefined,
            budget: optionalNumber(options, "recompute_budget", 0, 1, "x_kvshare."),
            store: optionalBoolean(options, "store", "x_kvshare.")
        },
        ...(overflow === "drop_oldest" ? {contextOverflow: "drop_oldest" as const} : {})
    };
}

/** Throws 404 when the request names a model this server does not serve. */
/** POST /tokenize: the text, whether to add the model's special start token (as a text completion does), whether to return pieces. */
export function parseTokenizeRequest(body: Body): {content: string; addSpecial: boolean; withPieces: boolean} {
    if (typeof body.content !== "string") throw ApiError.badRequest("'content' is required and must be a string.", "content");
    // Tokenizing runs on the event loop: a text of a few hundred thousand characters takes a noticeable while.
    if (body.content.length > maxTokenizeCharacters)
        throw ApiError.badRequest(`'content' may be at most ${maxTokenizeCharacters} characters; split a longer text.`, "content");
    return {content: body.content, addSpecial: optionalBoolean(body, "add_special") ?? false, withPieces: optionalBoolean(body, "with_pieces") ?? false};
}

/** POST /detokenize: token ids of this model's vocabulary (an id outside it would take llama.cpp out of bounds). */
export function parseDetokenizeRequest(body: Body, vocabularySize: number): number[] {
    const tokens = body.tokens;
    if (!Array.isArray(tokens)) throw ApiError.badRequest("'tokens' is required and must be an array of token ids.", "tokens");
    return tokenIds(tokens, vocabularySize, "tokens");
}

/** Token ids of this model's vocabulary (an id outside it would make llama.cpp read out of bounds). */
function tokenIds(tokens: readonly unknown[], vocabularySize: number, param: string): number[] {
    tokens.forEach((token, i) => {
        if (!Number.isInteger(token) || (token as number) < 0 || (token as number) >= vocabularySize)
            throw ApiError.badRequest(`'${param}[${i}]' must be a token id of this model, an integer from 0 to ${vocabularySize - 1}.`, param);
    });
    return tokens as number[];
}

export function checkModel(body: Body, modelId: string): void {
    const model = body.model;
    if (model == null || model === "") return;
    if (typeof model !== "string") throw ApiError.badRequest("'model' must be a string.", "model");
    if (model !== modelId && model !== modelId + ".gguf")
        throw new ApiError(404, "not_found_error", `The model '${model}' does not exist. This server serves '${modelId}'.`, "model_not_found", "model");
}

function parseMessage(value: unknown, index: number): PlainMessage {
    const param = `messages[${index}]`;
    if (typeof value !== "object" || value == null || Array.isArray(value))
        throw ApiError.badRequest(`${param} must be an object with 'role' and 'content'.`, param);
    const {role, content} = value as Body;
    if (typeof role !== "string" || !roles.has(role))
        throw ApiError.badRequest(`${param}.role must be one of system, developer, user, assistant, tool, function.`, `${param}.role`);
    const message = value as Body;
    // Results of tool and function calls are what the user side brings in, tied to the call they answer.
    if (role === "tool" || role === "function") {
        const callId = message.tool_call_id;
        if (callId != null && typeof callId !== "string") throw ApiError.badRequest(`'${param}.tool_call_id' must be a string.`, `${param}.tool_call_id`);
        if (message.name != null && typeof message.name !== "string") throw ApiError.badRequest(`'${param}.name' must be a string.`, `${param}.name`);
        const result = {...(callId == null ? {} : {callId}), ...(typeof message.name === "string" ? {name: message.name} : {})};
        return {role: "user", content: messageText(content, `${param}.content`, role), result};
    }
    const calls = message.tool_calls ?? (message.function_call == null ? undefined : [{function: message.function_call}]);
    if (role === "assistant" && calls != null)
        return {
            role: "assistant",
            content: content == null ? "" : messageText(content, `${param}.content`, role),
            calls: parseCalls(calls, `${param}.tool_calls`)
        };
    return {role: role === "developer" ? "system" : (role as PlainMessage["role"]), content: messageText(content, `${param}.content`, role)};
}

/** An assistant's earlier calls. */
function parseCalls(calls: unknown, param: string): HistoryCall[] {
    if (!Array.isArray(calls)) throw ApiError.badRequest(`'${param}' must be an array of calls.`, param);
    return calls.map((call, i) => {
        const fn = (call as Body | null)?.function as Body | undefined;
        if (fn == null || typeof fn.name !== "string" || typeof fn.arguments !== "string")
            throw ApiError.badRequest(`'${param}[${i}].function' must have a 'name' and its 'arguments' as a JSON string.`, `${param}[${i}]`);
        const id = (call as Body).id;
        return {...(typeof id === "string" ? {id} : {}), name: fn.name, arguments: fn.arguments};
    });
}

function messageText(content: unknown, param: string, role: string): string {
    if (typeof content === "string") return content;
    if (content == null && role === "assistant") return "";
    if (Array.isArray(content)) {
        return content
            .map((part, i) => {
                if (typeof part !== "object" || part == null || (part as Body).type !== "text" || typeof (part as Body).text !== "string")
                    throw ApiError.badRequest(
                        `${param}[${i}] must be a text part ({"type": "text", "text": "..."}); images and audio are not supported by this model.`,
                        `${param}[${i}]`
                    );
                return (part as Body).text as string;
            })
            .join("\n");
    }
    throw ApiError.badRequest(`${param} must be a string or an array of text parts.`, param);
}

/**
 * Stop strings a request may give. OpenAI takes 4, but clients that talk to local servers send more (an editor's
 * code completion sends a stop per block keyword), as llama-server and LM Studio accept; each is looked for after
 * every token, so the list is bounded.
 */
const maxStopStrings = 64;
/** The longest stop string taken, in characters. */
const maxStopLength = 1000;

function parseGenerationParams(body: Body, maxTokensCap: number, vocabularySize: number): GenerationParams {
    const maxTokens = optionalInteger(body, "max_completion_tokens", 1, maxTokensCap) ?? optionalInteger(body, "max_tokens", 1, maxTokensCap);
    // Only one choice per request is generated: any `n` but 1 is refused.
    optionalInteger(body, "n", 1, 1);
    const stop = body.stop;
    let stops: string[] = [];
    if (typeof stop === "string") stops = [stop];
    else if (Array.isArray(stop) && stop.length <= maxStopStrings && stop.every((s) => typeof s === "string")) stops = stop as string[];
    else if (stop != null) throw ApiError.badRequest(`'stop' must be a string or an array of up to ${maxStopStrings} strings.`, "stop");
    // Each is looked for in the text held back after every token: bounded, so that 64 of them stay cheap.
    if (stops.some((s) => s.length > maxStopLength)) throw ApiError.badRequest(`Each of 'stop' may be at most ${maxStopLength} characters long.`, "stop");
    stops = stops.filter((s) => s.length > 0);

    const sampling: Sampling = {
        temperature: optionalNumber(body, "temperature", 0, 2) ?? defaultSampling.temperature,
        topP: optionalNumber(body, "top_p", 0, 1) ?? defaultSampling.topP,
        topK: optionalInteger(body, "top_k", 0, 1000) ?? defaultSampling.topK,
        minP: optionalNumber(body, "min_p", 0, 1) ?? defaultSampling.minP,
        seed: optionalInteger(body, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
        presencePenalty: optionalNumber(body, "presence_penalty", -2, 2) ?? defaultSampling.presencePenalty,
        frequencyPenalty: optionalNumber(body, "frequency_penalty", -2, 2) ?? defaultSampling.frequencyPenalty,
        repeatPenalty: optionalNumber(body, "repeat_penalty", 0, 10) ?? defaultSampling.repeatPenalty
    };
    const logitBias = parseLogitBias(body.logit_bias, vocabularySize);
    if (logitBias != null) sampling.logitBias = logitBias;
    // llama.cpp takes a 32-bit seed: wrap like a uint32 cast (-1 is 0xFFFFFFFF), so -7 and 7 stay different seeds.
    if (sampling.seed != null) sampling.seed = ((sampling.seed % 2 ** 32) + 2 ** 32) % 2 ** 32;

    const streamOptions = body.stream_options;
    if (streamOptions != null && (typeof streamOptions !== "object" || Array.isArray(streamOptions)))
        throw ApiError.badRequest("'stream_options' must be an object.", "stream_options");
    const user = body.user;
    if (user != null && typeof user !== "string") throw ApiError.badRequest("'user' must be a string.", "user");
    // `user` names a sharing scope: bounded, and never one of the issued keys' namespace.
    if (typeof user === "string" && user.length > maxUserLength) throw ApiError.badRequest(`'user' must be at most ${maxUserLength} characters.`, "user");
    if (typeof user === "string" && user.startsWith("key/"))
        throw ApiError.badRequest("'user' must not start with 'key/' (the namespace of issued API keys).", "user");
    // Taken as it is (" carol" is not "carol"): a padded copy is refused rather than made a look-alike scope.
    // The same rule as a profile's name (trimmed, no control characters), which the desktop sends here.
    if (typeof user === "string" && (user !== user.trim() || hasInvisibleCharacters(user)))
        throw ApiError.badRequest(
            "'user' must not begin or end with spaces or hold control or invisible characters (zero-width, bidi): it names whose cached prompts a request may reuse.",
            "user"
        );
    return {
        maxTokens,
        maxTokensExplicit: maxTokens != null,
        stops,
        sampling,
        stream: optionalBoolean(body, "stream") ?? false,
        includeUsage: (streamOptions as Body | null | undefined)?.include_usage === true,
        user: user ?? undefined,
        format: parseResponseFormat(body)
    };
}
