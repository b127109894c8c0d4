/**
 * Chat prompts with tools, on the real stories260K (its GGUF's template resolves to node-llama-cpp's Llama 2
 * chat wrapper): offered functions are described in the template's words, earlier calls and their results are
 * written in the model's call syntax, and the assistant's turn goes on after results.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {getLlama, LlamaLogLevel, type LlamaModel} from "node-llama-cpp";
import {STORIES_260K} from "../../test/support/testData.js";
import {PromptBuilder, type PlainMessage} from "./PromptBuilder.js";

let model: LlamaModel;
let prompts: PromptBuilder;
beforeAll(async () => {
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1});
    model = await llama.loadModel({modelPath: STORIES_260K});
    prompts = new PromptBuilder(model);
});
afterAll(async () => {
    await model?.dispose();
});

/**
 * The prompt's text without whitespace: this vocabulary's tokenizer puts a space before each piece of the
 * template tokenized on its own (`find (`), which is not what is checked here.
 */
const text = (messages: PlainMessage[], functions?: Parameters<PromptBuilder["chat"]>[1]) =>
    squash(model.detokenize(prompts.chat(messages, functions).tokens, true));
const squash = (s: string) => s.replace(/\s+/g, "");

const question: PlainMessage = {role: "user", content: "Where is Tom the cat?"};
const calls: PlainMessage = {
    role: "assistant",
    content: "",
    calls: [
        {id: "call_a", name: "find", arguments: '{"name":"Tom"}'},
        {id: "call_b", name: "weather", arguments: '{"city":"Oslo"}'}
    ]
};

describe("chat prompts with tools", () => {
    it("writes earlier calls in the model's call syntax, each with its result, and goes on with the assistant's turn", () => {
        // Results come back in another order than the calls: matched by call id.
        const prompt = text([
            question,
            calls,
            {role: "user", content: "rain", result: {callId: "call_b"}},
            {role: "user", content: '{"place": "garden"}', result: {callId: "call_a"}}
        ]);
        const find = prompt.indexOf(squash('||call: find({"name": "Tom"})\n||result: {"place": "garden"}'));
        const weather = prompt.indexOf(squash('||call: weather({"city": "Oslo"})\n||result: "rain"'));
        expect(find, prompt).toBeGreaterThan(prompt.indexOf(squash(question.content)));
        expect(weather).toBeGreaterThan(find);
        // The turn is not closed after the results: the model writes what it makes of them.
        expect(prompt.slice(weather)).not.toContain("[INST]");
        expect(prompt.endsWith('||result:"rain"')).toBe(true);

        // A new question after the results starts a new turn as usual.
        const next = text([question, calls, {role: "user", content: "rain", result: {callId: "call_b"}}, {role: "user", content: "Thanks!"}]);
        expect(next.endsWith("Thanks![/INST]")).toBe(true);
    });

    it("continues an assistant message the conversation ends with (a prefill), without closing its turn", () => {
        const prefill = text([question, {role: "assistant", content: "Tom is in the"}]);
        expect(prefill.endsWith(squash("[/INST] Tom is in the"))).toBe(true);
        // An answered question followed by a new one is a new turn as before.
        const next = text([question, {role: "assistant", content: "Tom is in the garden."}, {role: "user", content: "And Kit?"}]);
        expect(next.endsWith(squash("And Kit? [/INST]"))).toBe(true);
    });

    it("matches results by function name (the legacy API), else in order; a result of no call is the user's text", () => {
        const byName = text([question, calls, {role: "user", content: "sun", result: {name: "weather"}}, {role: "user", content: "home", result: {}}]);
        expect(byName).toContain(squash('||call: find({"name": "Tom"})\n||result: "home"'));
        expect(byName).toContain(squash('||call: weather({"city": "Oslo"})\n||result: "sun"'));

        const stray = text([question, {role: "user", content: "a result nobody asked for", result: {callId: "call_z"}}]);
        expect(stray).toContain(squash("a result nobody asked for [/INST]"));
        expect(stray).not.toContain("||result");
    });

    it("describes offered functions in the template's words, and stops where the model would write a result itself", () => {
        const functions = [{name: "find", description: "Finds a pet by name", parameters: {type: "object", properties: {name: {type: "string"}}}}];
        const plain = prompts.chat([question]);
        const offered = prompts.chat([question], functions);
        const prompt = squash(model.detokenize(offered.tokens, true));
        expect(prompt).toContain(squash("// Finds a pet by name\nfunction find(params: {name: string});"));
        expect(offered.tokens.length).toBeGreaterThan(plain.tokens.length + 50);
        expect(offered.stops).toEqual([...plain.stops, "\n||result: "]);
        expect(prompts.callSyntax.prefixes).toEqual(["||call: ", "||call:"]);

        // A schema the template's describer cannot read (a property given as null) still gives a prompt.
        const odd = text([question], [{...functions[0]!, parameters: {type: "object", properties: {name: null}}}]);
        expect(odd).toContain(squash("// Finds a pet by name\nfunction find();"));
    });
});

describe("chat prompts", () => {
    it("keep an empty question as a turn of its own (the template would leave it out, and the model go on with the last answer)", () => {
        const before: PlainMessage[] = [
            {role: "user", content: "hello"},
            {role: "assistant", content: "hi"}
        ];
        const asked = text([...before, {role: "user", content: ""}]);
        const unasked = text(before);
        expect(asked).not.toBe(unasked);
        expect(asked).toBe(text([...before, {role: "user", content: " "}]));
        expect(asked.match(/\[INST\]/g)?.length).toBe(2);
        expect(text([{role: "user", content: ""}])).toContain("[INST]");
    });
});
