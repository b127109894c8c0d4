/**
 * Functions offered with `tool_choice` "auto" (the default when `tools` are sent), black-box over HTTP on
 * stories260K: they are described in the model's template, an agent's earlier calls and their results are
 * written into the prompt, and an answer that makes no call comes back as text, streamed or not. (Reading calls
 * out of answers in each template's syntax is covered in main/runtime/callSyntax.test.ts: this story model never
 * writes one.)
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {QwenChatWrapper} from "node-llama-cpp";
import {callSyntaxOf} from "../../main/runtime/callSyntax.js";
import {toOfferedCalls} from "../../main/server/toolCalls.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

const model = "stories260K";
const messages = [{role: "user" as const, content: "Where did the little cat go?"}];
const find = {
    type: "function" as const,
    function: {
        name: "find_pet",
        description: "Finds where a pet is now",
        // Keywords a grammar could not enforce are fine here: the schema only describes the arguments.
        parameters: {type: "object", properties: {name: {type: "string", pattern: "^[A-Z]"}, age: {type: "integer", minimum: 0}}, required: ["name"]}
    }
};

describe("offered functions (tool_choice auto)", () => {
    it("answers one call at most when parallel_tool_calls is false, or with the legacy API", () => {
        const syntax = callSyntaxOf(new QwenChatWrapper());
        const two =
            '<tool_call>\n{"name": "find_pet", "arguments": {"name": "Kit"}}\n</tool_call>\n<tool_call>\n{"name": "find_pet", "arguments": {"name": "Tom"}}\n</tool_call>';
        const functions = [{name: "find_pet", description: "", parameters: {type: "object"}}];
        expect(toOfferedCalls({functions, legacy: false, single: false}, syntax, two)!.calls).toHaveLength(2);
        expect(toOfferedCalls({functions, legacy: false, single: true}, syntax, two)!.calls.map((c) => c.function.arguments)).toEqual(['{"name":"Kit"}']);
    });

    it("are described in the prompt; an answer without a call is text, the same streamed", async () => {
        // Nothing kept as a donor: each answer comes from its own prompt's KV (a full prefill, or the sequence's own
        // exact prefix), so the streamed one can be compared token for token; a donor's edited KV may part from
        // it at one of this tiny model's near ties.
        const unstored = {x_kvshare: {store: false}} as object;
        const ask = (extra: object) => server.client.chat.completions.create({model, messages, max_tokens: 24, temperature: 0, ...unstored, ...extra});
        const plain = await ask({});
        const offered = await ask({tools: [find]});
        const none = await ask({tools: [find], tool_choice: "none"});
        expect(offered.usage!.prompt_tokens).toBeGreaterThan(plain.usage!.prompt_tokens + 50);
        expect(none.usage!.prompt_tokens).toBe(plain.usage!.prompt_tokens);

        const choice = offered.choices[0]!;
        expect(["stop", "length"]).toContain(choice.finish_reason);
        expect(choice.message.tool_calls ?? []).toEqual([]);
        expect(typeof choice.message.content).toBe("string");
        expect(choice.message.content!.length).toBeGreaterThan(0);

        const stream = await server.client.chat.completions.create({model, messages, max_tokens: 24, temperature: 0, tools: [find], stream: true, ...unstored});
        let streamed = "";
        let finish: string | null = null;
        for await (const chunk of stream) {
            expect(chunk.choices[0]?.delta.tool_calls).toBeUndefined();
            streamed += chunk.choices[0]?.delta.content ?? "";
            finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        expect(streamed).toBe(choice.message.content);
        expect(finish).toBe(choice.finish_reason);
    });

    it("writes an agent's earlier calls and their results into the prompt, matched by call id", async () => {
        const conversation = (result: string) => [
            ...messages,
            {
                role: "assistant" as const,
                content: null,
                tool_calls: [{id: "call_7", type: "function" as const, function: {name: "find_pet", arguments: '{"name":"Kit"}'}}]
            },
            {role: "tool" as const, tool_call_id: "call_7", content: result}
        ];
        const ask = (result: string) =>
            server.client.chat.completions.create({model, messages: conversation(result), max_tokens: 8, temperature: 0, tools: [find]});
        const short = await ask("garden");
        const long = await ask("under the big red bed in the house by the old tree");
        const extra = (await (
            await server.api("/tokenize", {method: "POST", json: {content: " under the big red bed in the house by the old tree"}})
        ).json()) as {tokens: number[]};
        const garden = (await (await server.api("/tokenize", {method: "POST", json: {content: " garden"}})).json()) as {tokens: number[]};
        // The result is in the prompt: the longer one costs its own tokens more.
        expect(long.usage!.prompt_tokens - short.usage!.prompt_tokens).toBeGreaterThanOrEqual(extra.tokens.length - garden.tokens.length - 2);
        expect(long.choices[0]!.message.content).not.toBeNull();

        // The legacy API's function results, matched by name.
        const legacy = await server.api("/v1/chat/completions", {
            method: "POST",
            json: {
                model,
                max_tokens: 8,
                functions: [find.function],
                messages: [
                    ...messages,
                    {role: "assistant", content: null, function_call: {name: "find_pet", arguments: "{}"}},
                    {role: "function", name: "find_pet", content: "garden"}
                ]
            }
        });
        expect(legacy.status).toBe(200);
        expect(((await legacy.json()) as {choices: Array<{message: {content: unknown}}>}).choices[0]!.message.content).toEqual(expect.any(String));
    });

    it("still refuses tools that are not function schemas, tool results that are not text, and tool text holding special tokens", async () => {
        for (const [extra, param] of [
            [{tools: [{type: "function", function: {name: "x", parameters: {type: "object", properties: {a: null}}}}]}, "tools[0].function.parameters"],
            [{tools: [find], messages: [...messages, {role: "tool", tool_call_id: 7, content: "x"}]}, "messages[1].tool_call_id"],
            // Text a template may render into its markup must not hold a special token's text (here stories260K's end of text).
            [{tools: [{...find, function: {...find.function, description: "Finds a pet</s>"}}]}, "tools[0].function"],
            [
                {
                    tools: [find],
                    messages: [
                        ...messages,
                        {
                            role: "assistant",
                            content: null,
                            tool_calls: [{id: "c", type: "function", function: {name: "find_pet", arguments: '{"name":"</s>"}'}}]
                        },
                        {role: "tool", tool_call_id: "c", content: "garden"}
                    ]
                },
                "messages"
            ],
            // The same written as JSON escapes, as Go's encoder writes "<".
            [
                {
                    tools: [find],
                    messages: [
                        ...messages,
                        {
                            role: "assistant",
                            content: null,
                            tool_calls: [{id: "c", type: "function", function: {name: "find_pet", arguments: '{"name":"\\u003c/s\\u003e"}'}}]
                        },
                        {role: "tool", tool_call_id: "c", content: "garden"}
                    ]
                },
                "messages"
            ],
            // A prefill cannot be continued by an answer held to a grammar.
            [{messages: [...messages, {role: "assistant", content: '{"a":'}], response_format: {type: "json_object"}}, "messages"]
        ] as const) {
            const res = await server.api("/v1/chat/completions", {method: "POST", json: {model, messages, max_tokens: 4, ...extra}});
            expect(res.status, JSON.stringify(extra)).toBe(400);
            expect(((await res.json()) as {error: {param: string}}).error.param).toBe(param);
        }
    });
});
