import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {readGgufFileInfo} from "node-llama-cpp";
import {startTestServer, testModelPath, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

const model = "stories260K";
const messages = [{role: "user" as const, content: "Is the cat happy? Answer in JSON."}];

const verdictSchema = {
    type: "object",
    properties: {
        answer: {enum: ["yes", "no"]},
        mood: {type: "string", maxLength: 12},
        stars: {type: "integer"}
    },
    required: ["answer", "mood", "stars"],
    additionalProperties: false
};

/** The answer parsed, or the reason it is not the JSON asked for. */
function parsed(text: string): Record<string, unknown> {
    const value: unknown = JSON.parse(text);
    if (value == null || typeof value !== "object" || Array.isArray(value)) throw new Error(`not a JSON object: ${text}`);
    return value as Record<string, unknown>;
}

describe("response_format", () => {
    it("json_schema: the answer is JSON matching the schema, whatever the model would have said, streamed or not", async () => {
        // A story model left alone writes a story; held to the schema it must fill in the object.
        const free = await server.client.chat.completions.create({model, messages, max_tokens: 40, temperature: 0});
        expect(() => parsed(free.choices[0]!.message.content!)).toThrow();

        const response_format = {type: "json_schema" as const, json_schema: {name: "verdict", schema: verdictSchema, strict: true}};
        for (const temperature of [0, 1]) {
            const done = await server.client.chat.completions.create({model, messages, max_tokens: 200, temperature, seed: 3, response_format});
            expect(done.choices[0]!.finish_reason).toBe("stop");
            const value = parsed(done.choices[0]!.message.content!);
            expect(Object.keys(value).sort()).toEqual(["answer", "mood", "stars"]);
            expect(["yes", "no"]).toContain(value.answer);
            expect(typeof value.mood).toBe("string");
            expect((value.mood as string).length).toBeLessThanOrEqual(12);
            expect(Number.isInteger(value.stars)).toBe(true);

            const stream = await server.client.chat.completions.create({model, messages, max_tokens: 200, temperature, seed: 3, response_format, stream: true});
            let text = "";
            for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
            expect(text).toBe(done.choices[0]!.message.content);
        }
    });

    it("json_object: a JSON object on both completion routes; anyOf, $defs and {} are honoured", async () => {
        const chat = await server.client.chat.completions.create({model, messages, max_tokens: 300, temperature: 0, response_format: {type: "json_object"}});
        if (chat.choices[0]!.finish_reason === "stop") parsed(chat.choices[0]!.message.content!);
        else expect(chat.choices[0]!.message.content!.startsWith("{")).toBe(true);

        const schema = {
            $defs: {pet: {type: "object", properties: {name: {type: "string", maxLength: 8}, kind: {enum: ["cat", "dog"]}}, required: ["name", "kind"]}},
            type: "object",
            properties: {
                pets: {type: "array", items: {$ref: "#/$defs/pet"}, minItems: 1, maxItems: 2},
                note: {anyOf: [{type: "null"}, {const: "ok"}]},
                extra: {}
            },
            required: ["pets", "note", "extra"]
        };
        const completion = await server.api("/v1/completions", {
            method: "POST",
            json: {
                model,
                prompt: "Once upon a time",
                max_tokens: 200,
                temperature: 0,
                response_format: {type: "json_schema", json_schema: {name: "pets", schema}}
            }
        });
        expect(completion.status).toBe(200);
        const body = (await completion.json()) as {choices: Array<{text: string; finish_reason: string}>};
        expect(body.choices[0]!.finish_reason).toBe("stop");
        const value = parsed(body.choices[0]!.text) as {pets: Array<{name: string; kind: string}>; note: unknown};
        expect(value.pets.length).toBeGreaterThanOrEqual(1);
        expect(value.pets.length).toBeLessThanOrEqual(2);
        for (const pet of value.pets) expect(["cat", "dog"]).toContain(pet.kind);
        expect([null, "ok"]).toContain(value.note);
        expect(value).toHaveProperty("extra");

        const text = await server.client.chat.completions.create({model, messages, max_tokens: 8, temperature: 0, response_format: {type: "text"}});
        expect(text.choices[0]!.message.content).toBe(
            (await server.client.chat.completions.create({model, messages, max_tokens: 8, temperature: 0})).choices[0]!.message.content
        );
    });

    it("writes integers out (no exponent), and ends the answer at the closing bracket: no trailing newline, stop not length", async () => {
        const schema = {type: "object", properties: {i: {type: "integer"}}, required: ["i"], additionalProperties: false};
        for (let seed = 1; seed <= 6; seed++) {
            const done = await server.client.chat.completions.create({
                model,
                messages,
                max_tokens: 60,
                temperature: 2,
                seed,
                response_format: {type: "json_schema", json_schema: {name: "n", schema}}
            });
            const text = done.choices[0]!.message.content!;
            expect(text, text).toMatch(/^\{\s*"i":\s?-?\d+\s*\}$/);
            expect(Number.isInteger(parsed(text).i)).toBe(true);
        }
        // Every token limit: never a newline of the grammar's end in the answer; a complete object is a stop.
        for (let max = 2; max <= 9; max++) {
            const cut = await server.client.chat.completions.create({model, messages, max_tokens: max, temperature: 0, response_format: {type: "json_object"}});
            const text = cut.choices[0]!.message.content!;
            expect(text.endsWith("\n"), JSON.stringify(text)).toBe(false);
            let complete = true;
            try {
                JSON.parse(text);
            } catch {
                complete = false;
            }
            expect(cut.choices[0]!.finish_reason, `${max}: ${JSON.stringify(text)}`).toBe(complete ? "stop" : "length");
        }
    });

    it("refuses what it cannot enforce with a 400 naming where, instead of answering with something else", async () => {
        const ask = (response_format: unknown) => server.api("/v1/chat/completions", {method: "POST", json: {model, messages, max_tokens: 8, response_format}});
        const cases: Array<[unknown, string, RegExp]> = [
            [{type: "xml"}, "response_format.type", /text.*json_object.*json_schema/],
            ["json", "response_format", /must be an object/],
            [{type: "json_schema"}, "response_format.json_schema", /schema/],
            [{type: "json_schema", json_schema: {name: "x"}}, "response_format.json_schema.schema", /required/],
            [{type: "json_schema", json_schema: {schema: {type: "strin"}}}, "response_format.json_schema.schema", /\.type' must be one of/],
            [
                {type: "json_schema", json_schema: {schema: {type: "string", pattern: "^a+$"}}},
                "response_format.json_schema.schema",
                /'pattern' is not supported/
            ],
            [
                {type: "json_schema", json_schema: {schema: {type: "object", properties: {n: {type: "number", minimum: 0}}}}},
                "response_format.json_schema.schema",
                /properties\.n': the keyword 'minimum'/
            ],
            [{type: "json_schema", json_schema: {schema: {$ref: "https://example.com/s.json"}}}, "response_format.json_schema.schema", /reference/]
        ];
        for (const [format, param, message] of cases) {
            const response = await ask(format);
            expect(response.status, JSON.stringify(format)).toBe(400);
            const body = (await response.json()) as {error: {message: string; param: string; type: string}};
            expect(body.error.type).toBe("invalid_request_error");
            expect(body.error.param).toBe(param);
            expect(body.error.message).toMatch(message);
        }
        // A schema llama.cpp cannot build a grammar of (too many repetitions) is refused up front, not a 500 mid-request.
        const large = await ask({
            type: "json_schema",
            json_schema: {schema: {type: "string", minLength: 1000, maxLength: 1000}}
        });
        expect(large.status).toBe(400);
        expect(((await large.json()) as {error: {code: string; param: string; message: string}}).error).toMatchObject({
            code: "unsupported_schema",
            param: "response_format",
            message: expect.stringMatching(/cannot build a grammar/)
        });
        // Annotations and formats the grammar does not assert are accepted.
        const ok = await ask({
            type: "json_schema",
            json_schema: {
                name: "x",
                schema: {
                    title: "T",
                    description: "d",
                    $schema: "https://json-schema.org/draft/2020-12/schema",
                    type: "object",
                    properties: {e: {type: "string", format: "email", maxLength: 5}}
                }
            }
        });
        expect(ok.status).toBe(200);
    });

    it("tool calls the client requires: a call whose arguments match the function's schema, streamed or not", async () => {
        const lookup = {
            type: "function" as const,
            function: {
                name: "lookup",
                description: "Find a pet",
                parameters: {
                    type: "object",
                    properties: {kind: {enum: ["cat", "dog"]}, age: {type: "integer"}},
                    required: ["kind", "age"],
                    additionalProperties: false
                }
            }
        };
        const weather = {
            type: "function" as const,
            function: {name: "weather", parameters: {type: "object", properties: {city: {type: "string", maxLength: 10}}, required: ["city"]}}
        };
        const namedCall = {
            model,
            messages,
            max_tokens: 60,
            temperature: 0,
            tools: [lookup, weather],
            tool_choice: {type: "function" as const, function: {name: "lookup"}}
        };
        const named = await server.client.chat.completions.create(namedCall);
        const choice = named.choices[0]!;
        expect(choice.finish_reason).toBe("tool_calls");
        expect(choice.message.content).toBeNull();
        const call = choice.message.tool_calls![0]!;
        expect(call).toMatchObject({type: "function", id: expect.stringMatching(/^call_/), function: {name: "lookup"}});
        const args = JSON.parse((call as {function: {arguments: string}}).function.arguments) as {kind: string; age: number};
        expect(["cat", "dog"]).toContain(args.kind);
        expect(Number.isInteger(args.age)).toBe(true);

        const stream = await server.client.chat.completions.create({...namedCall, stream: true});
        const streamed: Array<{function?: {name?: string; arguments?: string}}> = [];
        let finish: string | null = null;
        const shapes: string[] = [];
        for await (const chunk of stream) {
            const delta = chunk.choices[0]?.delta;
            streamed.push(...(delta?.tool_calls ?? []));
            finish = chunk.choices[0]?.finish_reason ?? finish;
            if (chunk.choices[0] != null) shapes.push(delta?.tool_calls != null ? "call" : chunk.choices[0].finish_reason != null ? "finish" : "other");
        }
        expect(finish).toBe("tool_calls");
        // The call in a chunk of its own, then the finish reason (the SDK's stream helpers expect that order), no empty chunks.
        expect(shapes.slice(-2)).toEqual(["call", "finish"]);
        expect(shapes.length).toBeLessThanOrEqual(3);
        expect(streamed.map((c) => c.function?.arguments).join("")).toBe((call as {function: {arguments: string}}).function.arguments);

        // "required" among two: the answer names one and gives its arguments.
        for (const seed of [1, 2, 3]) {
            const required = await server.client.chat.completions.create({
                model,
                messages,
                max_tokens: 80,
                temperature: 1,
                seed,
                tools: [lookup, weather],
                tool_choice: "required"
            });
            const made = required.choices[0]!.message.tool_calls![0]! as {function: {name: string; arguments: string}};
            expect(["lookup", "weather"]).toContain(made.function.name);
            const given = JSON.parse(made.function.arguments) as Record<string, unknown>;
            if (made.function.name === "weather") expect((given.city as string).length).toBeLessThanOrEqual(10);
            else expect(["cat", "dog"]).toContain(given.kind);
        }

        // Cut by the token limit, or asked with stop strings: still a call (never the wrapper as content), and the
        // request's stop strings do not cut the arguments.
        const cut = await server.client.chat.completions.create({
            model,
            messages,
            max_tokens: 8,
            temperature: 0,
            tools: [lookup, weather],
            tool_choice: "required"
        });
        expect(cut.choices[0]!.finish_reason).toBe("length");
        expect(cut.choices[0]!.message.content).toBeNull();
        expect(cut.choices[0]!.message.tool_calls).toHaveLength(1);
        const stopped = await server.client.chat.completions.create({
            model,
            messages,
            max_tokens: 60,
            temperature: 0,
            tools: [lookup],
            tool_choice: "required",
            stop: ['"', "}"]
        });
        expect(stopped.choices[0]!.finish_reason).toBe("tool_calls");
        JSON.parse((stopped.choices[0]!.message.tool_calls![0]! as {function: {arguments: string}}).function.arguments);

        // The legacy functions API answers in its own shape.
        const legacy = await server.api("/v1/chat/completions", {
            method: "POST",
            json: {model, messages, max_tokens: 60, temperature: 0, functions: [lookup.function], function_call: {name: "lookup"}}
        });
        const legacyChoice = (
            (await legacy.json()) as {choices: Array<{finish_reason: string; message: {content: null; function_call: {name: string; arguments: string}}}>}
        ).choices[0]!;
        expect(legacyChoice.finish_reason).toBe("function_call");
        expect(legacyChoice.message.function_call.name).toBe("lookup");
        expect(["cat", "dog"]).toContain((JSON.parse(legacyChoice.message.function_call.arguments) as {kind: string}).kind);

        // A conversation carrying an earlier call and its result goes on; "auto" answers in text.
        const history = [
            ...messages,
            {
                role: "assistant" as const,
                content: null,
                tool_calls: [{id: "call_1", type: "function" as const, function: {name: "lookup", arguments: '{"kind":"cat","age":2}'}}]
            },
            {role: "tool" as const, tool_call_id: "call_1", content: "Tom, a cat of 2"},
            {role: "function" as const, name: "lookup", content: "Tom"}
        ];
        const auto = await server.client.chat.completions.create({model, messages: history, max_tokens: 8, tools: [lookup]});
        expect(auto.choices[0]!.finish_reason).not.toBe("tool_calls");
        expect(typeof auto.choices[0]!.message.content).toBe("string");
    });

    it("refuses tool requests it cannot honour, naming the field", async () => {
        const tools = [{type: "function", function: {name: "lookup", parameters: {type: "object", properties: {q: {type: "string"}}}}}];
        const chat = (extra: object) => server.api("/v1/chat/completions", {method: "POST", json: {model, messages, max_tokens: 4, ...extra}});
        for (const [extra, param] of [
            [{tools, tool_choice: {type: "function", function: {name: "other"}}}, "tool_choice"],
            [{tool_choice: "required"}, "tool_choice"],
            [{tools: [{type: "function", function: {name: "bad name"}}], tool_choice: "required"}, "tools[0].function.name"],
            [
                {tools: [{type: "function", function: {name: "x", parameters: {type: "string", pattern: "a"}}}], tool_choice: "required"},
                "tools[0].function.parameters"
            ],
            [{tools, tool_choice: "required", response_format: {type: "json_object"}}, "response_format"],
            [{tools: [...tools, ...tools], tool_choice: "required"}, "tools[1].function.name"],
            [{tools: [{type: "function", function: {name: "x", parameters: {type: "array"}}}], tool_choice: "required"}, "tools[0].function.parameters"],
            [{tools: {a: 1}}, "tools"],
            [{tools, tool_choice: {type: "xyz", function: {name: "lookup"}}}, "tool_choice"],
            [{tools, parallel_tool_calls: "yes"}, "parallel_tool_calls"],
            [
                {tools: [{type: "function", function: {name: "x", parameters: {type: "object", properties: {a: {type: "strin"}}}}}]},
                "tools[0].function.parameters"
            ]
        ] as const) {
            const res = await chat(extra);
            expect(res.status, JSON.stringify(extra)).toBe(400);
            expect(((await res.json()) as {error: {param: string}}).error.param).toBe(param);
        }
    });
});

describe("structured output with the end of text banned", () => {
    it("still ends its JSON (a grammar must be able to end: the bias on the end of text is left out there)", async () => {
        const eos = (await readGgufFileInfo(testModelPath)).metadata.tokenizer.ggml.eos_token_id!;
        const response_format = {type: "json_schema" as const, json_schema: {name: "v", schema: {enum: ["yes", "no"]}}};
        const done = await server.client.chat.completions.create({model, messages, max_tokens: 20, temperature: 0, logit_bias: {[eos]: -100}, response_format});
        expect(['"yes"', '"no"']).toContain(done.choices[0]!.message.content);
        expect(done.choices[0]!.finish_reason).toBe("stop");
        // And the server goes on serving.
        const next = await server.client.chat.completions.create({model, messages, max_tokens: 4, temperature: 0});
        expect(next.choices[0]!.message.content!.length).toBeGreaterThan(0);
    });
});
