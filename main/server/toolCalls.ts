/**
 * Tool calls the client requires (`tool_choice` "required" or a named function): the answer is held to a
 * grammar of the function's arguments, so even a model without a tool-calling template answers with a call
 * whose arguments match the function's JSON Schema. With "auto" (the default) or "none" the model answers in
 * text: deciding on its own to call is left to the chat template, which is not read for it here.
 */
import {randomBytes} from "node:crypto";
import type {OutputFormat} from "../runtime/types.js";
import {ApiError} from "./errors.js";
import {toGrammarSchema} from "./responseFormat.js";

type Body = Record<string, unknown>;

/** A function the client offers: its parameters as sent, and as the grammar takes them. */
interface ToolFunction {
    name: string;
    description: string;
    parameters: unknown;
    grammarSchema: Record<string, unknown>;
}

/** A call the answer must be: to one function, or to one of several (then the answer names it). */
export interface ForcedToolCall {
    format: OutputFormat;
    /** The one function called; undefined when the answer chooses among several (`{"name", "arguments"}`). */
    only?: string;
    /** A system message telling the model the functions, before the conversation. */
    instructions: string;
}

/** The calls of an answer, as the API returns them. */
export interface ToolCall {
    id: string;
    type: "function";
    function: {name: string; arguments: string};
}

const namePattern = /^[a-zA-Z0-9_-]{1,64}$/;
const anyObject = {type: "object", properties: {}, additionalProperties: true};

/** The call `tool_choice` requires, or undefined when the model may answer in text. */
export function parseToolChoice(body: Body): ForcedToolCall | undefined {
    const choice = body.tool_choice ?? body.function_call;
    const param = body.tool_choice != null ? "tool_choice" : "function_call";
    if (choice == null || choice === "auto" || choice === "none") return undefined;
    const tools = parseTools(body);
    if (tools.length === 0) throw ApiError.badRequest(`'${param}' requires 'tools' with at least one function.`, param);
    let chosen = tools;
    if (choice !== "required") {
        const name = typeof choice === "object" ? (((choice as Body).function as Body | undefined)?.name ?? (choice as Body).name) : undefined;
        const tool = tools.find((t) => t.name === name);
        if (typeof name !== "string" || tool == null)
            throw ApiError.badRequest(
                `'${param}' must be "auto", "none", "required" or name one of the tools ({"type": "function", "function": {"name": …}}).`,
                param
            );
        chosen = [tool];
    }
    const described = chosen
        .map((t) => `- ${t.name}${t.description === "" ? "" : `: ${t.description}`}\n  arguments (JSON Schema): ${JSON.stringify(t.parameters)}`)
        .join("\n");
    const instructions =
        chosen.length === 1
            ? `Answer by calling the function ${chosen[0]!.name}, writing its arguments as JSON.\n${described}`
            : `Answer by calling one of these functions, as JSON {"name": …, "arguments": {…}}.\n${described}`;
    if (chosen.length === 1) return {format: {schema: chosen[0]!.grammarSchema}, only: chosen[0]!.name, instructions};
    const schema = {
        oneOf: chosen.map((t) => ({
            type: "object",
            properties: {name: {const: t.name}, arguments: t.parameters},
            required: ["name", "arguments"],
            additionalProperties: false
        }))
    };
    return {format: {schema: toGrammarSchema(schema, "tools")}, instructions};
}

function parseTools(body: Body): ToolFunction[] {
    const tools = body.tools ?? (Array.isArray(body.functions) ? (body.functions as unknown[]).map((f) => ({type: "function", function: f})) : undefined);
    if (tools == null) return [];
    if (!Array.isArray(tools)) throw ApiError.badRequest('\'tools\' must be an array of {"type": "function", "function": {…}}.', "tools");
    return tools.map((tool, i) => {
        const param = `tools[${i}]`;
        const fn = (tool as Body | null)?.function as Body | undefined;
        if ((tool as Body | null)?.type !== "function" || fn == null || typeof fn !== "object")
            throw ApiError.badRequest(`'${param}' must be {"type": "function", "function": {"name", "parameters"}}.`, param);
        if (typeof fn.name !== "string" || !namePattern.test(fn.name))
            throw ApiError.badRequest(`'${param}.function.name' must be 1-64 letters, digits, '_' or '-'.`, `${param}.function.name`);
        if (fn.description != null && typeof fn.description !== "string")
            throw ApiError.badRequest(`'${param}.function.description' must be a string.`, `${param}.function.description`);
        const parameters = fn.parameters ?? anyObject;
        return {
            name: fn.name,
            description: (fn.description as string | undefined) ?? "",
            parameters,
            grammarSchema: toGrammarSchema(parameters, `${param}.function.parameters`)
        };
    });
}

/** The answer's text as the call it was held to; undefined when it is not one (cut short by the token limit). */
export function toToolCalls(forced: ForcedToolCall, text: string): ToolCall[] | undefined {
    const id = `call_${randomBytes(12).toString("hex")}`;
    if (forced.only != null) return [{id, type: "function", function: {name: forced.only, arguments: text}}];
    try {
        const call = JSON.parse(text) as {name: string; arguments: unknown};
        return [{id, type: "function", function: {name: call.name, arguments: JSON.stringify(call.arguments)}}];
    } catch {
        return undefined;
    }
}
