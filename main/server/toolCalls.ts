/**
 * Tool calls. Required ones (`tool_choice` "required" or a named function; the legacy `functions` /
 * `function_call` too): the answer is held to a grammar of the function's arguments, so even a model without a
 * tool-calling template answers with a call whose arguments match the function's JSON Schema. With "auto" (the
 * default) the functions are offered in the model's own chat template and the model decides: its answer is read
 * for calls in its template's call syntax (see `runtime/callSyntax.ts`). With "none" it answers in text.
 */
import {randomBytes} from "node:crypto";
import type {OutputFormat} from "../runtime/types.js";
import {ApiError} from "./errors.js";
import {optionalBoolean, type Body} from "./bodyFields.js";
import {toGrammarSchema} from "./responseFormat.js";
import type {OfferedFunction, PlainMessage} from "../runtime/PromptBuilder.js";
import {parseCalls, type CallSyntax} from "../runtime/callSyntax.js";

/** A function the client offers. */
interface ToolFunction extends OfferedFunction {
    /** Where it was sent (named in a refusal). */
    param: string;
}

/** Functions the model may call or not (`tool_choice` "auto"). */
export interface OfferedTools {
    functions: OfferedFunction[];
    /** `parallel_tool_calls: false`: one call per answer at most. */
    single: boolean;
    /** Asked with the legacy `functions`: a call is answered as `message.function_call`. */
    legacy: boolean;
}

/** A call the answer must be: to one function, or to one of several (then the answer names it). */
export interface ForcedToolCall {
    format: OutputFormat;
    /** The one function called; undefined when the answer chooses among several (`{"name", "arguments"}`). */
    only?: string;
    /** A system message telling the model the functions, before the conversation. */
    instructions: string;
    /** Asked with the legacy `functions` / `function_call`: answered as `message.function_call`. */
    legacy: boolean;
}

/** The calls of an answer, as the API returns them. */
export interface ToolCall {
    id: string;
    type: "function";
    function: {name: string; arguments: string};
}

const namePattern = /^[a-zA-Z0-9_-]{1,64}$/;
const anyObject = {type: "object", properties: {}, additionalProperties: true};

/**
 * What `tool_choice` asks: a call the answer must be, or functions the model may call, or neither. The tools
 * are checked whenever they are sent; their schemas must be enforceable only where a call is required (with
 * "auto" they only describe the arguments to the model).
 */
export function parseToolChoice(body: Body): {forced?: ForcedToolCall; offered?: OfferedTools} {
    const legacy = body.tools == null && (body.functions != null || body.function_call != null);
    const param = legacy ? "function_call" : "tool_choice";
    const tools = parseTools(body, legacy);
    optionalBoolean(body, "parallel_tool_calls");
    const choice = legacy ? body.function_call : body.tool_choice;
    if (choice === "none") return {};
    if (choice == null || choice === "auto") {
        tools.forEach(checkDescribable);
        const single = legacy || body.parallel_tool_calls === false;
        return tools.length === 0 ? {} : {offered: {functions: tools.map(({param: _, ...f}) => f), legacy, single}};
    }
    if (tools.length === 0) throw ApiError.badRequest(`'${param}' requires ${legacy ? "'functions'" : "'tools'"} with at least one function.`, param);
    let chosen = tools;
    if (choice !== "required") {
        const named = legacy ? (choice as Body | null) : (choice as Body | null)?.type === "function" ? ((choice as Body).function as Body | null) : null;
        const tool = tools.find((t) => t.name === named?.name);
        if (tool == null)
            throw ApiError.badRequest(
                legacy
                    ? `'function_call' must be "auto", "none" or {"name": …} naming one of the functions.`
                    : `'tool_choice' must be "auto", "none", "required" or {"type": "function", "function": {"name": …}} naming one of the tools.`,
                param
            );
        chosen = [tool];
    }
    const described = chosen
        .map((t) => `- ${t.name}${t.description === "" ? "" : `: ${t.description}`}\n  arguments (JSON Schema): ${JSON.stringify(t.parameters)}`)
        .join("\n");
    const grammarSchema = (t: ToolFunction) => toGrammarSchema(t.parameters, `${t.param}.parameters`);
    if (chosen.length === 1)
        return {
            forced: {
                format: {schema: grammarSchema(chosen[0]!), param},
                only: chosen[0]!.name,
                instructions: `Answer by calling the function ${chosen[0]!.name}, writing its arguments as JSON.\n${described}`,
                legacy
            }
        };
    const schema = {
        oneOf: chosen.map((t) => ({
            type: "object",
            properties: {name: {const: t.name}, arguments: t.parameters},
            required: ["name", "arguments"],
            additionalProperties: false
        }))
    };
    return {
        forced: {
            format: {schema: toGrammarSchema(schema, legacy ? "functions" : "tools"), param},
            instructions: `Answer by calling one of these functions, as JSON {"name": …, "arguments": {…}}.\n${described}`,
            legacy
        }
    };
}

/**
 * An offered function's schema only describes its arguments to the model, so what a grammar cannot enforce
 * (`pattern`, `minimum`, …) is fine there; what is not a JSON Schema, or matches nothing, is still a 400.
 */
function checkDescribable(tool: ToolFunction): void {
    try {
        toGrammarSchema(tool.parameters, `${tool.param}.parameters`);
    } catch (error) {
        if (!(error instanceof ApiError && error.code === "unsupported_schema")) throw error;
    }
}

function parseTools(body: Body, legacy: boolean): ToolFunction[] {
    const list = legacy ? body.functions : body.tools;
    const field = legacy ? "functions" : "tools";
    if (list == null) return [];
    if (!Array.isArray(list))
        throw ApiError.badRequest(
            legacy ? "'functions' must be an array of functions." : `'tools' must be an array of {"type": "function", "function": {…}}.`,
            field
        );
    const seen = new Set<string>();
    return list.map((item, i) => {
        const param = legacy ? `functions[${i}]` : `tools[${i}].function`;
        const fn = (legacy ? item : (item as Body | null)?.function) as Body | null | undefined;
        if ((!legacy && (item as Body | null)?.type !== "function") || fn == null || typeof fn !== "object" || Array.isArray(fn))
            throw ApiError.badRequest(`'${field}[${i}]' must be {"type": "function", "function": {"name", "parameters"}}.`, `${field}[${i}]`);
        if (typeof fn.name !== "string" || !namePattern.test(fn.name))
            throw ApiError.badRequest(`'${param}.name' must be 1-64 letters, digits, '_' or '-'.`, `${param}.name`);
        if (seen.has(fn.name)) throw ApiError.badRequest(`'${param}.name': another function is named ${fn.name} already.`, `${param}.name`);
        seen.add(fn.name);
        if (fn.description != null && typeof fn.description !== "string")
            throw ApiError.badRequest(`'${param}.description' must be a string.`, `${param}.description`);
        const parameters = fn.parameters ?? anyObject;
        // Arguments are keyword arguments: an object, as OpenAI requires.
        if (typeof parameters !== "object" || parameters == null || (parameters as Body).type !== "object")
            throw ApiError.badRequest(`'${param}.parameters' must be a JSON Schema of an object ({"type": "object", …}).`, `${param}.parameters`);
        return {name: fn.name, description: (fn.description as string | undefined) ?? "", parameters: parameters as Record<string, unknown>, param};
    });
}

/**
 * The answer's text as the call it was held to. Cut short by the token limit it is still a call, with what
 * was written of its name and arguments (never the `{"name", "arguments"}` wrapper as content).
 */
export function toToolCalls(forced: ForcedToolCall, text: string): ToolCall[] {
    const id = `call_${randomBytes(12).toString("hex")}`;
    if (forced.only != null) return [{id, type: "function", function: {name: forced.only, arguments: text}}];
    try {
        const call = JSON.parse(text) as {name: string; arguments: unknown};
        return [{id, type: "function", function: {name: call.name, arguments: JSON.stringify(call.arguments)}}];
    } catch {
        const name = /"name"\s*:\s*"([^"]*)"/.exec(text)?.[1] ?? "";
        const at = /"arguments"\s*:\s*/.exec(text);
        return [{id, type: "function", function: {name, arguments: at == null ? "" : text.slice(at.index + at[0].length)}}];
    }
}

/**
 * The calls an answer to offered functions makes, read in the model's call syntax, with the text before them
 * as content (null when there is none); null when it makes no call.
 */
export function toOfferedCalls(offered: OfferedTools, syntax: CallSyntax, text: string): {content: string | null; calls: ToolCall[]} | null {
    const parsed = parseCalls(
        text,
        syntax,
        offered.functions.map((f) => f.name)
    );
    if (parsed == null) return null;
    // The legacy API answers with one call, and so does a request that asks for no parallel calls.
    const calls = (offered.single ? parsed.calls.slice(0, 1) : parsed.calls).map((call): ToolCall => ({
        id: `call_${randomBytes(12).toString("hex")}`,
        type: "function",
        function: call
    }));
    return {content: parsed.content.length > 0 ? parsed.content : null, calls};
}

/**
 * Refuses tool text that a chat template may render into its markup, where the text of one of the model's
 * special tokens would be read as that token (an end of turn, a role marker): offered functions' descriptions
 * and schemas, and earlier calls' arguments. Message text never is.
 */
export function refuseSpecialTokenText(offered: OfferedTools | undefined, messages: readonly PlainMessage[], find: (text: string) => string | undefined): void {
    const refuse = (where: string, param: string, found: string) => {
        throw ApiError.badRequest(
            `${where} holds ${JSON.stringify(found)}, the text of one of this model's special tokens, which its chat template would read as that token.`,
            param
        );
    };
    offered?.functions.forEach((f, i) => {
        const found = find(f.description) ?? find(JSON.stringify(f.parameters));
        if (found != null) refuse(`The function ${f.name}`, offered.legacy ? `functions[${i}]` : `tools[${i}].function`, found);
    });
    for (const message of messages)
        for (const call of message.calls ?? []) {
            // As parsed too: a JSON escape ("\u003c/s\u003e") is the token's text once the template writes the value out.
            const found = find(call.arguments) ?? find(reserialized(call.arguments));
            if (found != null) refuse(`An earlier call of ${call.name}`, "messages", found);
        }
}

/** A JSON text as written out again after parsing (escapes resolved), or the text itself when it is not JSON. */
function reserialized(text: string): string {
    try {
        return JSON.stringify(JSON.parse(text));
    } catch {
        return text;
    }
}
