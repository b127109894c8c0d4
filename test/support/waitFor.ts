import type {HealthResponse} from "../../shared/openai.js";
import type {TestServer} from "./testServer.js";

/**
 * Polls `check` until it returns something other than undefined or false, and returns that; fails
 * naming `what` (and the last value seen) once `timeoutMs` has passed. The deadline is a bound on a
 * wait for an event, never a measurement: a slow machine only waits longer.
 */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await check();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
    }
}

/** GET /health with the app's own key: the sequences in use and the requests waiting for one. */
export async function health(server: TestServer): Promise<Required<HealthResponse>> {
    const res = await server.api("/health");
    return (await res.json()) as Required<HealthResponse>;
}

/** Resolves once every sequence is idle and nobody waits for one, as /health reports it. */
export function waitForIdleSequences(server: TestServer): Promise<Required<HealthResponse>> {
    return waitFor("every sequence to be idle", async () => {
        const now = await health(server);
        return now.slots_busy === 0 && now.queued === 0 && now;
    });
}

/**
 * Reads a streamed (SSE) completion until its first generated text: the request then holds a
 * sequence and is decoding. Returns the reader, to go on reading or to drop.
 */
export async function readUntilFirstText(res: Response): Promise<ReadableStreamDefaultReader<Uint8Array>> {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = "";
    for (;;) {
        const {value, done} = await reader.read();
        if (done) throw new Error(`the stream ended before any text: ${received.slice(0, 500)}`);
        received += decoder.decode(value, {stream: true});
        for (const line of received.split("\n")) {
            if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
            let event: {choices?: Array<{delta?: {content?: string}; text?: string}>};
            try {
                event = JSON.parse(line.slice(6)) as typeof event;
            } catch {
                continue; // a line still arriving
            }
            const choice = event.choices?.[0];
            if ((choice?.delta?.content ?? choice?.text ?? "") !== "") return reader;
        }
    }
}
