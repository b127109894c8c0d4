/**
 * A minimal Server-Sent Events reader: yields the `data` of each event (multi-line data joined by
 * "\n"), ignoring comments and other fields. Handles \n, \r\n and \r line endings and chunks that
 * split lines or UTF-8 sequences anywhere.
 */
export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let data: string[] = [];
    try {
        for (;;) {
            const {done, value} = await reader.read();
            buffer += done ? decoder.decode() : decoder.decode(value, {stream: true});
            const lines = splitLines(buffer, done);
            buffer = lines.rest;
            for (const line of lines.complete) {
                if (line === "") {
                    if (data.length > 0) yield data.join("\n");
                    data = [];
                } else if (line.startsWith("data:")) {
                    const value = line.slice(5);
                    data.push(value.startsWith(" ") ? value.slice(1) : value);
                }
                // Comments (":") and other fields (event, id, retry) are not used by the API.
            }
            if (done) break;
        }
        if (data.length > 0) yield data.join("\n");
    } finally {
        reader.releaseLock();
    }
}

function splitLines(buffer: string, final: boolean): {complete: string[]; rest: string} {
    const complete: string[] = [];
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
        const ch = buffer[i];
        if (ch !== "\n" && ch !== "\r") continue;
        if (ch === "\r" && i === buffer.length - 1 && !final) break; // may be the first half of \r\n
        complete.push(buffer.slice(start, i));
        if (ch === "\r" && buffer[i + 1] === "\n") i++;
        start = i + 1;
    }
    let rest = buffer.slice(start);
    if (final && rest !== "") {
        complete.push(rest);
        rest = "";
    }
    return {complete, rest};
}
