/**
 * POST /v1/responses (the Responses API, stateless) black-box over HTTP on stories260K with the official `openai`
 * client: the same answer as chat completions for the same conversation, streamed events as the SDK's stream
 * helper rebuilds them, function tools, structured output, log-probabilities, KV sharing, and clear refusals.
 */
import OpenAI from "openai";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {startTestServer, testApiKey, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({overrides: {sharing: {scopePolicy: "user"}}});
});
afterAll(async () => {
    await server.close();
});

const story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her red ball.";
const greedy = {temperature: 0, max_output_tokens: 24};

/** A response's text, from its output items (a stream helper's response has no `output_text` when incomplete). */
function textOf(response: OpenAI.Responses.Response): string {
    return response.output
        .flatMap((item) => (item.type === "message" ? item.content.map((part) => (part.type === "output_text" ? part.text : "")) : []))
        .join("");
}

/** The SSE events of a raw streamed request: each `event:` name with its JSON. */
async function rawEvents(body: unknown): Promise<{lines: string; events: Array<{name: string; data: Record<string, unknown>}>}> {
    const res = await server.api("/v1/responses", {method: "POST", json: body});
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const lines = await res.text();
    const events = lines
        .split("\n\n")
        .filter((block) => block.trim() !== "")
        .map((block) => {
            const name = /^event: (.+)$/m.exec(block)?.[1] ?? "";
            const data = JSON.parse(/^data: (.+)$/m.exec(block)?.[1] ?? "null") as Record<string, unknown>;
            return {name, data};
        });
    return {lines, events};
}

describe("the Responses API", () => {
    it("answers as chat completions do for the same conversation (instructions as the system message)", async () => {
        const response = await server.client.responses.create({model: "stories260K", instructions: "Tell a story.", input: story, ...greedy, user: "r-same"});
        const chat = await server.client.chat.completions.create({
            model: "stories260K",
            messages: [
                {role: "system", content: "Tell a story."},
                {role: "user", content: story}
            ],
            temperature: 0,
            max_tokens: 24,
            user: "r-same"
        });
        expect(response.object).toBe("response");
        expect(response.id).toMatch(/^resp_/);
        expect(response.output_text).toBe(chat.choices[0]!.message.content);
        expect(response.output).toHaveLength(1);
        expect(response.output[0]).toMatchObject({type: "message", role: "assistant", status: response.status});
        expect(response.instructions).toBe("Tell a story.");
        expect(response.usage!.input_tokens).toBe(chat.usage!.prompt_tokens);
        expect(response.usage!.output_tokens).toBe(chat.usage!.completion_tokens);
        expect(response.usage!.total_tokens).toBe(response.usage!.input_tokens + response.usage!.output_tokens);
        expect((response as unknown as {store: boolean}).store).toBe(false);
    });

    it("folds the instructions and the system or developer messages the input starts with into one system message", async () => {
        const folded = await server.client.responses.create({
            instructions: "Tell a story.",
            input: [
                {role: "developer", content: "Keep it short."},
                {role: "user", content: story}
            ],
            ...greedy
        });
        const chat = await server.client.chat.completions.create({
            model: "stories260K",
            messages: [
                {role: "system", content: "Tell a story.\n\nKeep it short."},
                {role: "user", content: story}
            ],
            temperature: 0,
            max_tokens: 24
        });
        expect(folded.usage!.input_tokens).toBe(chat.usage!.prompt_tokens);
        expect(folded.output_text).toBe(chat.choices[0]!.message.content);
        // The sampling it ran with, not the API's defaults: none was asked for here but the temperature.
        expect(folded.temperature).toBe(0);
        expect(folded.top_p).toBe(0.95);
        // `top_logprobs` without `include` asks for nothing (clients send it always): no refusal, no log-probabilities.
        const plain = await server.client.responses.create({input: story, ...greedy, ...({top_logprobs: 3} as object)});
        const item = plain.output[0];
        expect(item?.type === "message" && item.content[0]?.type === "output_text" ? item.content[0].logprobs : undefined).toEqual([]);
    });

    it("says a response cut by max_output_tokens is incomplete", async () => {
        const response = await server.client.responses.create({input: story, temperature: 0, max_output_tokens: 3});
        expect(response.usage!.output_tokens).toBe(3);
        expect(response.status).toBe("incomplete");
        expect(response.incomplete_details).toEqual({reason: "max_output_tokens"});
    });

    it("streams events the SDK's stream helper rebuilds into the same response as the unstreamed one", async () => {
        // The assistant's earlier turn as the SDK's own output item writes it back.
        const input: OpenAI.Responses.ResponseInput = [
            {role: "user", content: [{type: "input_text", text: story}]},
            {id: "msg_1", type: "message", status: "completed", role: "assistant", content: [{type: "output_text", text: "One day", annotations: []}]},
            {role: "user", content: "Go on."}
        ];
        const whole = await server.client.responses.create({input, ...greedy, user: "r-stream"});
        const stream = server.client.responses.stream({input, ...greedy, user: "r-stream"});
        const deltas: string[] = [];
        stream.on("response.output_text.delta", (event) => deltas.push(event.delta));
        const final = await stream.finalResponse();
        expect(textOf(final)).toBe(whole.output_text);
        expect(deltas.join("")).toBe(whole.output_text);
        expect(deltas.length).toBeGreaterThan(1);

        const {lines, events} = await rawEvents({input, ...greedy, stream: true, user: "r-stream"});
        // Named events, numbered in order, and no chat-style terminator.
        expect(events.every((e) => e.name === e.data.type)).toBe(true);
        expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
        expect(lines).not.toContain("[DONE]");
        const names = events.map((e) => e.name).filter((name, i, all) => name !== all[i - 1]);
        expect(names).toEqual([
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            // Cut by max_output_tokens: the last event says so, with the whole response.
            whole.status === "incomplete" ? "response.incomplete" : "response.completed"
        ]);
        const completed = events.at(-1)!.data.response as {status: string; output: Array<{content: Array<{text: string}>}>; usage: {output_tokens: number}};
        expect(completed.status).toBe(whole.status);
        expect(completed.output[0]!.content[0]!.text).toBe(whole.output_text);
        expect(completed.usage.output_tokens).toBe(whole.usage!.output_tokens);
    });

    it("calls a required function with arguments that fit its schema, and reads a call and its output back", async () => {
        const tools = [
            {
                type: "function" as const,
                name: "find_pet",
                description: "Finds where a pet is now",
                parameters: {type: "object", properties: {name: {type: "string"}}, required: ["name"], additionalProperties: false},
                strict: true
            }
        ];
        const called = await server.client.responses.create({
            input: "Where is the cat?",
            tools,
            tool_choice: "required",
            temperature: 0,
            max_output_tokens: 40
        });
        const call = called.output.find((item) => item.type === "function_call");
        expect(call).toMatchObject({type: "function_call", name: "find_pet", status: "completed"});
        if (call?.type !== "function_call") throw new Error("no call");
        expect(JSON.parse(call.arguments)).toEqual({name: expect.any(String)});

        // Streamed: the call is an item of its own, its arguments in one delta.
        const stream = server.client.responses.stream({
            input: "Where is the cat?",
            tools,
            tool_choice: {type: "function", name: "find_pet"},
            ...greedy,
            max_output_tokens: 40
        });
        const final = await stream.finalResponse();
        const streamed = final.output.find((item) => item.type === "function_call");
        expect(streamed?.type === "function_call" && JSON.parse(streamed.arguments)).toEqual({name: expect.any(String)});

        const after = await server.client.responses.create({
            input: [
                {role: "user", content: "Where is the cat?"},
                {type: "function_call", call_id: call.call_id, name: "find_pet", arguments: call.arguments},
                {type: "function_call_output", call_id: call.call_id, output: "in the garden"}
            ],
            tools,
            ...greedy
        });
        expect(after.status).toMatch(/completed|incomplete/);
        expect(after.output[0]?.type).toBe("message");
    });

    it("holds the answer to a JSON schema asked for in text.format", async () => {
        const response = await server.client.responses.create({
            input: story,
            text: {
                format: {
                    type: "json_schema",
                    name: "pet",
                    schema: {type: "object", properties: {pet: {type: "string", maxLength: 12}}, required: ["pet"], additionalProperties: false},
                    strict: true
                }
            },
            temperature: 0,
            max_output_tokens: 60
        });
        expect(JSON.parse(response.output_text)).toEqual({pet: expect.any(String)});
    });

    it("gives the answer's log-probabilities where include asks for them", async () => {
        // `top_logprobs` is the API's, if not yet in this SDK's types.
        const params = {input: story, include: ["message.output_text.logprobs"], top_logprobs: 2, temperature: 0, max_output_tokens: 5};
        const response = await server.client.responses.create(params as OpenAI.Responses.ResponseCreateParamsNonStreaming);
        const item = response.output[0];
        if (item?.type !== "message" || item.content[0]?.type !== "output_text") throw new Error("no text");
        const logprobs = item.content[0].logprobs!;
        expect(logprobs).toHaveLength(5);
        expect(logprobs.map((l) => l.token).join("")).toBe(response.output_text);
        for (const entry of logprobs) {
            expect(entry.top_logprobs).toHaveLength(2);
            expect(entry.logprob).toBeLessThanOrEqual(0);
        }
    });

    it("shares KV between similar prompts as chat completions do", async () => {
        await server.client.responses.create({input: story, ...greedy, user: "r-share"});
        const tom = story.replace("a little girl named Lily. She", "a little boy named Tom. He").replace("her red ball", "his red ball");
        const res = await server.api("/v1/responses", {method: "POST", json: {input: tom, ...greedy, user: "r-share"}});
        const body = (await res.json()) as {
            x_kvshare: {mode: string; reused_tokens: number; prompt_tokens: number};
            usage: {input_tokens_details: {cached_tokens: number}};
        };
        expect(body.x_kvshare.mode).toBe("semantic");
        expect(body.x_kvshare.reused_tokens / body.x_kvshare.prompt_tokens).toBeGreaterThan(0.5);
        expect(body.usage.input_tokens_details.cached_tokens).toBe(body.x_kvshare.reused_tokens);
    });

    it("refuses what a stateless local server cannot do, naming the Responses request's own parameters", async () => {
        const refused = async (body: Record<string, unknown>) => {
            const res = await server.api("/v1/responses", {method: "POST", json: body});
            expect(res.status, JSON.stringify(body)).toBe(400);
            return ((await res.json()) as {error: {message: string; param: string | null; code: string | null; type: string}}).error;
        };
        expect(await refused({input: "hi", previous_response_id: "resp_abc"})).toMatchObject({param: "previous_response_id", code: "unsupported_parameter"});
        expect((await refused({input: "hi", previous_response_id: "resp_abc"})).message).toMatch(/whole conversation in 'input'/);
        expect(await refused({input: [{role: "user", content: [{type: "input_image", image_url: "data:image/png;base64,AAAA"}]}]})).toMatchObject({
            param: "input[0].content[0]"
        });
        expect(await refused({input: "hi", tools: [{type: "web_search"}]})).toMatchObject({param: "tools[0].type", code: "unsupported_parameter"});
        expect(await refused({input: "hi", max_output_tokens: 0})).toMatchObject({param: "max_output_tokens"});
        expect((await refused({input: "hi", max_output_tokens: 0})).message).toContain("'max_output_tokens'");
        expect(await refused({input: "hi", text: {format: {type: "json_schema", name: "x", schema: "not a schema"}}})).toMatchObject({
            param: expect.stringMatching(/^text\.format/)
        });
        const schemaError = await refused({input: "hi", text: {format: {type: "json_schema", name: "x"}}});
        expect(schemaError.param).toMatch(/^text\.format/);
        expect(schemaError.message).not.toMatch(/response_format|json_schema\.schema/);
        // truncation "auto" with x_kvshare asking for the error instead is a contradiction, said so.
        expect(await refused({input: "hi", truncation: "auto", x_kvshare: {context_overflow: "error"}})).toMatchObject({param: "truncation"});
        expect(await refused({input: "hi", truncation: "auto", x_kvshare: "drop"})).toMatchObject({param: "x_kvshare"});
        expect(await refused({input: []})).toMatchObject({param: "input"});
        expect(await refused({})).toMatchObject({param: "input"});
        expect(await refused({input: [{type: "item_reference", id: "msg_1"}]})).toMatchObject({param: "input[0].type"});

        // The SDK raises them as its own errors.
        const error = await server.client.responses.create({input: "hi", previous_response_id: "resp_abc"}).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(OpenAI.BadRequestError);
        // And a key is needed, as for every OpenAI route.
        const anonymous = new OpenAI({baseURL: `${server.url}/v1`, apiKey: `${testApiKey}-wrong`, maxRetries: 0});
        expect(await anonymous.responses.create({input: "hi"}).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
    });

    it("ends a stream that fails midway with an error event the SDK raises, then the response failed", async () => {
        const {key, entry} = server.core.keys.create("responses-streamer");
        const client = new OpenAI({baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0});
        // The end-of-text token held off (an extra sampling field, as for chat): the answer runs on until stopped.
        const stream = await client.responses.create({input: "Once upon a time", max_output_tokens: 1800, stream: true, logit_bias: {"2": -100}} as never);
        const seen: string[] = [];
        const raised = await (async () => {
            for await (const event of stream as unknown as AsyncIterable<{type: string}>) {
                seen.push(event.type);
                if (event.type === "response.output_text.delta" && seen.filter((type) => type === event.type).length === 1)
                    expect((await server.api(`/kvshare/keys/${entry.id}`, {method: "DELETE"})).status).toBe(200);
            }
        })().catch((error: unknown) => error);
        expect(raised).toBeInstanceOf(OpenAI.APIError);
        expect(raised).toMatchObject({code: "invalid_api_key", type: "authentication_error"});
        expect(seen).not.toContain("response.completed");
        expect(seen.filter((type) => type === "response.output_text.delta").length).toBeLessThan(1800);
    });

    it("answers a burst of streamed and unstreamed requests, each whole", async () => {
        const asks = Array.from({length: 8}, (_, i) => ({input: `${story} Number ${i}.`, ...greedy, user: `r-burst-${i % 2}`}));
        const [streamed, whole] = await Promise.all([
            Promise.all(asks.map((ask) => server.client.responses.stream(ask).finalResponse())),
            Promise.all(asks.map((ask) => server.client.responses.create(ask)))
        ]);
        for (let i = 0; i < asks.length; i++) {
            expect(whole[i]!.output_text.length).toBeGreaterThan(0);
            expect(textOf(streamed[i]!)).toBe(whole[i]!.output_text);
        }
    });
});
