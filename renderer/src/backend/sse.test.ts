import {describe, expect, it} from "vitest";
import {readSseData} from "./sse.js";

function streamOf(pieces: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    return new ReadableStream({
        start(c) {
            for (const p of pieces) c.enqueue(typeof p === "string" ? encoder.encode(p) : p);
            c.close();
        }
    });
}

async function collect(pieces: Array<string | Uint8Array>): Promise<string[]> {
    const out: string[] = [];
    for await (const data of readSseData(streamOf(pieces))) out.push(data);
    return out;
}

describe("readSseData", () => {
    it("yields the data of each event", async () => {
        expect(await collect(['data: {"a":1}\n\n', "data: [DONE]\n\n"])).toEqual(['{"a":1}', "[DONE]"]);
    });

    it("handles events split across chunks anywhere", async () => {
        const text = 'data: {"x":"hello"}\n\ndata: {"x":"world"}\n\ndata: [DONE]\n\n';
        const pieces = text.split("").map((c) => c);
        expect(await collect(pieces)).toEqual(['{"x":"hello"}', '{"x":"world"}', "[DONE]"]);
    });

    it("handles CRLF and CR line endings, including a CRLF split between chunks", async () => {
        expect(await collect(["data: one\r", "\n\r\n", "data: two\r\rdata: three\r\n\r\n"])).toEqual(["one", "two", "three"]);
    });

    it("joins multi-line data and ignores comments and other fields", async () => {
        expect(await collect([": keep-alive\n\n", "event: message\nid: 3\ndata: a\ndata: b\n\n", "data:no-space\n\n"])).toEqual(["a\nb", "no-space"]);
    });

    it("decodes UTF-8 split across chunks", async () => {
        const bytes = new TextEncoder().encode("data: héllo 🌍\n\n");
        expect(await collect([bytes.slice(0, 8), bytes.slice(8, 14), bytes.slice(14)])).toEqual(["héllo 🌍"]);
    });

    it("yields a last event that is not followed by a blank line", async () => {
        expect(await collect(["data: tail"])).toEqual(["tail"]);
    });
});
