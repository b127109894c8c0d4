/**
 * A chat longer than the model's context, black-box over HTTP on stories260K (2048 tokens): refused as
 * OpenAI does by default; with `x_kvshare.context_overflow: "drop_oldest"` (what the app's own chat sends) its
 * oldest messages are left out until it fits, and the hit record says how many.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {ChatCompletion} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

const story = (i: number) => `Turn ${i}: Lily and Tom went to the park with their dog and played with a red ball until the sun went down.`;
/** A long chat: a system prompt, then 40 questions with their answers, then a last question. */
const longChat = [
    {role: "system", content: "You tell short stories."},
    ...Array.from({length: 40}, (_, i) => [
        {role: "user", content: story(i)},
        {role: "assistant", content: `${story(i)} The end.`}
    ]).flat(),
    {role: "user", content: "What did Lily do next?"}
];

const ask = (body: object) => server.api("/v1/chat/completions", {method: "POST", json: {messages: longChat, max_tokens: 64, temperature: 0, ...body}});

describe("context overflow", () => {
    it("refuses a chat over the context by default, and with drop_oldest leaves out its oldest messages", async () => {
        const refused = await ask({});
        expect(refused.status).toBe(400);
        expect(((await refused.json()) as {error: {code: string}}).error.code).toBe("context_length_exceeded");

        const res = await ask({x_kvshare: {context_overflow: "drop_oldest"}, x_kvshare_detail: true});
        expect(res.status).toBe(200);
        const answer = (await res.json()) as ChatCompletion;
        const dropped = answer.x_kvshare.dropped_messages!;
        expect(dropped).toBeGreaterThan(0);
        // Whole turns go (the kept part starts with a question), and no more than needed: one more turn kept would not fit.
        expect(dropped % 2).toBe(0);
        expect(answer.usage!.prompt_tokens + 64).toBeLessThanOrEqual(2048);
        const keptOneMore = [longChat[0]!, ...longChat.slice(1 + dropped - 2)];
        const tooLong = await server.api("/v1/chat/completions", {method: "POST", json: {messages: keptOneMore, max_tokens: 64}});
        expect(tooLong.status).toBe(400);
        // The same prompt as sending the kept messages alone: the system prompt and the last question stayed.
        const kept = [longChat[0]!, ...longChat.slice(1 + dropped)];
        const direct = (await (
            await server.api("/v1/chat/completions", {method: "POST", json: {messages: kept, max_tokens: 64, temperature: 0}})
        ).json()) as ChatCompletion;
        expect(direct.usage!.prompt_tokens).toBe(answer.usage!.prompt_tokens);
        expect(direct.choices[0]!.message.content).toBe(answer.choices[0]!.message.content);

        // Streamed, the hit record of the last chunk says it too.
        const stream = await ask({x_kvshare: {context_overflow: "drop_oldest"}, stream: true});
        const events = (await stream.text()).split("\n\n").filter((e) => e.startsWith("data: {"));
        const last = JSON.parse(events.at(-1)!.slice(6)) as {x_kvshare?: {dropped_messages?: number}};
        expect(last.x_kvshare?.dropped_messages).toBe(dropped);

        // A chat that fits loses nothing and says nothing.
        const short = (await (await ask({messages: longChat.slice(-3), x_kvshare: {context_overflow: "drop_oldest"}})).json()) as ChatCompletion;
        expect(short.x_kvshare.dropped_messages).toBeUndefined();
    });

    it("reads a max_tokens as large as the context as 'until the context ends' (a client's fixed default), and refuses a smaller one that does not fit", async () => {
        // A prompt a few tokens short of the context (2048), so that the answer is short.
        const prompt = "Lily ran and ran. ".repeat(290);
        const promptTokens = (
            (await (await server.api("/tokenize", {method: "POST", json: {content: prompt, add_special: true}})).json()) as {tokens: number[]}
        ).tokens.length;
        expect(promptTokens).toBeGreaterThan(2000);
        expect(promptTokens).toBeLessThan(2045);
        for (const max_tokens of [2048, 4096]) {
            const res = await server.api("/v1/completions", {method: "POST", json: {prompt, max_tokens, temperature: 0}});
            expect(res.status, `max_tokens ${max_tokens}`).toBe(200);
            const done = (await res.json()) as {choices: Array<{finish_reason: string}>; usage: {prompt_tokens: number; completion_tokens: number}};
            expect(done.usage.prompt_tokens).toBe(promptTokens);
            expect([done.choices[0]!.finish_reason, done.usage.completion_tokens]).toEqual(["length", 2048 - promptTokens]);
        }
        const refused = await server.api("/v1/completions", {method: "POST", json: {prompt, max_tokens: 2047}});
        expect(refused.status).toBe(400);
        expect(((await refused.json()) as {error: {code: string}}).error.code).toBe("context_length_exceeded");
    });

    it("still refuses a last message that cannot fit alone, a bad value, and drop_oldest on text completions", async () => {
        const huge = await ask({messages: [{role: "user", content: "Lily ran and ran. ".repeat(600)}], x_kvshare: {context_overflow: "drop_oldest"}});
        expect(huge.status).toBe(400);
        for (const [route, body, param] of [
            ["/v1/chat/completions", {messages: longChat, x_kvshare: {context_overflow: "truncate"}}, "x_kvshare.context_overflow"],
            ["/v1/completions", {prompt: "Once", x_kvshare: {context_overflow: "drop_oldest"}}, "x_kvshare.context_overflow"]
        ] as const) {
            const res = await server.api(route, {method: "POST", json: body});
            expect(res.status).toBe(400);
            expect(((await res.json()) as {error: {param: string}}).error.param).toBe(param);
        }
    });
});
