import {
    ChatMLChatWrapper,
    DeepSeekChatWrapper,
    FunctionaryChatWrapper,
    GeneralChatWrapper,
    Llama2ChatWrapper,
    Llama3ChatWrapper,
    Llama3_1ChatWrapper,
    Llama3_2LightweightChatWrapper,
    MistralChatWrapper,
    QwenChatWrapper,
    SeedChatWrapper,
    type ChatWrapper
} from "node-llama-cpp";
import {describe, expect, it} from "vitest";
import {CallStreamHold, callSyntaxOf, parseCalls} from "./callSyntax.js";

/** node-llama-cpp's own wrappers: each writes calls the way its model family was trained to. */
const wrappers: Array<[string, () => ChatWrapper]> = [
    ["General", () => new GeneralChatWrapper()],
    ["Llama2", () => new Llama2ChatWrapper()],
    ["ChatML", () => new ChatMLChatWrapper()],
    ["Llama3", () => new Llama3ChatWrapper()],
    ["Llama3.1", () => new Llama3_1ChatWrapper()],
    ["Llama3.2 lightweight", () => new Llama3_2LightweightChatWrapper()],
    ["Qwen", () => new QwenChatWrapper()],
    ["Functionary", () => new FunctionaryChatWrapper()],
    ["Mistral", () => new MistralChatWrapper()],
    ["DeepSeek", () => new DeepSeekChatWrapper()],
    ["Seed", () => new SeedChatWrapper()]
];

const names = ["get", "get_weather", "now"];

/** A call as the wrapper writes it in a conversation, as the answer's text shows it (special tokens' text included). */
function written(wrapper: ChatWrapper, name: string, params: unknown): string {
    return wrapper.generateFunctionCall(name, params).toString();
}

describe("a model's call syntax", () => {
    for (const [label, make] of wrappers) {
        it(`reads back the calls ${label}'s template writes, with the text before them as content`, () => {
            const wrapper = make();
            const syntax = callSyntaxOf(wrapper);
            const call = written(wrapper, "get_weather", {city: "Paris", days: 2, tags: ["a}", 'b"]']});
            const parsed = parseCalls(`Let me look.\n${call}`, syntax, names);
            expect(parsed, call).not.toBeNull();
            expect(parsed!.content).toBe("Let me look.");
            expect(parsed!.calls).toEqual([{name: "get_weather", arguments: JSON.stringify({city: "Paris", days: 2, tags: ["a}", 'b"]']})}]);

            // A function without parameters: the wrapper's empty placeholder reads as no arguments.
            const bare = parseCalls(written(wrapper, "now", undefined), syntax, names);
            expect(bare?.calls).toEqual([{name: "now", arguments: "{}"}]);

            // Not calls: plain text, an unknown function, arguments that are not a JSON object, or prose after.
            expect(parseCalls("The weather is fine.", syntax, names)).toBeNull();
            expect(parseCalls(written(wrapper, "get_time", {a: 1}), syntax, names)).toBeNull();
            expect(parseCalls(call.replace('"Paris"', "Paris"), syntax, names)).toBeNull();
            expect(parseCalls(call.slice(0, call.indexOf("Paris")), syntax, names)).toBeNull();
            expect(parseCalls(`${call}\nAnd then we went to the park and played all day.`, syntax, names)).toBeNull();
        });
    }

    it("reads several calls in one answer, in the sections of templates that group them", () => {
        for (const [label, make] of wrappers) {
            const wrapper = make();
            const syntax = callSyntaxOf(wrapper);
            const parallel = wrapper.settings.functions.parallelism;
            const one = written(wrapper, "get_weather", {city: "Paris"});
            const two = written(wrapper, "get", {id: 7});
            const text =
                parallel == null ? `${one}\n${two}` : `${parallel.call.sectionPrefix.toString()}${one}${parallel.call.betweenCalls?.toString() ?? ""}${two}`;
            expect(parseCalls(text, syntax, names)?.calls, label).toEqual([
                {name: "get_weather", arguments: '{"city":"Paris"}'},
                {name: "get", arguments: '{"id":7}'}
            ]);
        }
    });

    it("does not read a call cut off before its arguments closed (max_tokens): that is text", () => {
        const general = callSyntaxOf(new GeneralChatWrapper());
        expect(parseCalls("||call: get_weather(", general, names)).toBeNull();
        expect(parseCalls('||call: get_weather({"city": "Ro', general, names)).toBeNull();
        const qwen = callSyntaxOf(new QwenChatWrapper());
        expect(parseCalls('<tool_call>\n{"name": "get_weather", "arguments": ', qwen, names)).toBeNull();
        // Cut inside the closing text (an end-of-turn token ends it) the call is whole.
        const llama = callSyntaxOf(new Llama3_1ChatWrapper());
        expect(parseCalls("<function=now></function", llama, names)?.calls).toEqual([{name: "now", arguments: "{}"}]);
    });

    it("reads an answer of a great many spaces in linear time (a model drifting into whitespace until max_tokens)", () => {
        // 200k characters: a scan per position of the run, as before, would not end within the test's time.
        const spaces = " ".repeat(200_000);
        for (const syntax of [callSyntaxOf(new GeneralChatWrapper()), callSyntaxOf(new QwenChatWrapper())]) {
            expect(parseCalls(`${spaces}The end.`, syntax, names)).toBeNull();
            expect(parseCalls(`${spaces}|${spaces}`, syntax, names)).toBeNull();
        }
    });

    it("takes the syntax spaced the model's own way", () => {
        const qwen = callSyntaxOf(new QwenChatWrapper());
        expect(parseCalls('<tool_call>{"name":"get_weather","arguments":{"city":"Oslo"}}</tool_call>', qwen, names)?.calls).toEqual([
            {name: "get_weather", arguments: '{"city":"Oslo"}'}
        ]);
        const general = callSyntaxOf(new GeneralChatWrapper());
        expect(parseCalls('||call:get_weather( {"city": "Oslo"} )', general, names)?.calls).toEqual([{name: "get_weather", arguments: '{"city":"Oslo"}'}]);
    });

    it("streams text as it comes and holds back from where a call may start", () => {
        const syntax = callSyntaxOf(new GeneralChatWrapper());
        const answer = 'Sure | here. ||call: get_weather({"city": "Rome"})';
        const hold = new CallStreamHold(syntax);
        let sent = "";
        const seen: string[] = [];
        for (const c of answer) {
            sent += hold.push(c);
            seen.push(sent);
        }
        // What the whole answer's content is: the space before the call never went out.
        expect(sent).toBe("Sure | here.");
        // The lone "|" was held only until a character showed it was no call (spaces may come inside the syntax),
        // and a space until text followed it.
        expect(seen[4]).toBe("Sure");
        expect(seen[5]).toBe("Sure");
        expect(seen[6]).toBe("Sure");
        expect(seen[7]).toBe("Sure | h");
        expect(hold.held).toBe(' ||call: get_weather({"city": "Rome"})');
        expect(parseCalls(answer, syntax, names)?.content).toBe("Sure | here.");

        const text = new CallStreamHold(syntax);
        expect(text.push("a |") + text.push("| not a call")).toBe("a || not a call");
        expect(text.held).toBe("");

        // Whitespace alone before a call is never sent: the stream opens no content the whole answer lacks.
        const spaced = new CallStreamHold(syntax);
        expect(spaced.push("\n") + spaced.push(" \n") + spaced.push("||call: now({})")).toBe("");
        // Without a call it goes out with the text after it, or at the end as held text.
        const plain = new CallStreamHold(syntax);
        expect(plain.push("\n") + plain.push("Hi \n")).toBe("\nHi");
        expect(plain.held).toBe(" \n");
    });

    it("knows where each template writes a call's result: the model writing one means its calls are over", () => {
        expect(callSyntaxOf(new GeneralChatWrapper()).resultPrefixes).toEqual(["\n||result: "]);
        expect(callSyntaxOf(new QwenChatWrapper()).resultPrefixes).toContain("\n<tool_response>\n");
        // A result prefix naming its function is cut before the name.
        expect(callSyntaxOf(new MistralChatWrapper()).resultPrefixes).toEqual(['[TOOL_RESULTS]{"name": "']);
    });
});
