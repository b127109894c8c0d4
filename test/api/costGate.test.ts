import {afterAll, beforeAll, describe, expect, it, vi} from "vitest";
import {CostGate} from "../../main/sharing/policy/CostGate.js";
import type {Completion, KvShareRecord} from "../../shared/openai.js";
import {startTestServer, type TestServer} from "../support/testServer.js";

// The gate on, as in the app: on this tiny model prefill costs almost nothing, so once the gate has
// measured a few floors and edits, restoring a donor is predicted (rightly) to cost more than it saves.
let server: TestServer;
beforeAll(async () => {
    server = await startTestServer({overrides: {sharing: {costGate: true}}});
});
afterAll(() => server.close());

const names = ["Lily", "Tom", "Sue", "Ben", "Mia", "Sam", "Zoe", "Max", "Ann", "Leo", "Ivy", "Kim", "Dan", "Eva", "Jon", "Amy"];
const story = (name: string, ball = "red") =>
    `Once upon a time, there was a little child named ${name}. ${name} loved to play outside in the park with a ${ball} ball. One day, ${name} saw a big dog near the old tree and ran home.`;

async function complete(prompt: string): Promise<KvShareRecord> {
    const res = await server.api("/v1/completions", {method: "POST", json: {prompt, max_tokens: 4, temperature: 0}});
    expect(res.status).toBe(200);
    const body = (await res.json()) as Completion;
    expect(body.choices[0]!.text.length).toBeGreaterThan(0);
    await server.core.requirePipeline().settled();
    return body.x_kvshare!;
}

describe("cost-aware gate", () => {
    it("learns the rates while serving and, when a class asks at once, sends donors predicted slower than the prefix floor to the floor, saying so", async () => {
        // Unrelated prompts give it floors to measure; name swaps, one at a time, give it edits.
        const records: KvShareRecord[] = [];
        for (const unrelated of [
            "The weather report: clouds, rain and a cold wind over the hills, with sun later in the week and frost at night in the valleys.",
            "Bake the bread at two hundred degrees for forty minutes, then let it cool on a rack before you cut the first slice for tea.",
            "The train to the coast leaves at nine from platform four; buy a return ticket and keep it until you reach the station gate.",
            "Our garden has tomatoes, beans, mint and a small apple tree that the birds visit every morning when the sun comes up early."
        ])
            records.push(await complete(unrelated));
        for (const name of names.slice(0, 6)) records.push(await complete(story(name)));
        expect(records.filter((r) => r.mode === "semantic").length).toBeGreaterThanOrEqual(3);
        // Then a class asks at once: edits queue for the one editing sequence, and the gate sends some
        // of them to the prefix floor instead, with the predicted times in the note. What it predicts follows what it
        // measured, the burst's own edits included: on a machine busy with other work a first burst may find every
        // donor faster still, so the class asks again (the ball another colour each time) until some are sent.
        let gated: KvShareRecord[] = [];
        for (const ball of ["red", "blue", "green"]) {
            const burst = await Promise.all(
                names.slice(6).map(async (name) => {
                    const res = await server.api("/v1/completions", {method: "POST", json: {prompt: story(name, ball), max_tokens: 4, temperature: 0}});
                    expect(res.status).toBe(200);
                    return ((await res.json()) as Completion).x_kvshare!;
                })
            );
            await server.core.requirePipeline().settled();
            gated = burst.filter((r) => r.note?.startsWith("cost gate:"));
            if (gated.length > 0) break;
        }
        expect(gated.length).toBeGreaterThan(0);
        // Weighed against the floor (with the predicted times), or, once even the best donor is predicted to lose, not looked for.
        for (const {note} of gated)
            expect(note).toMatch(
                /^cost gate: (the donor would take ~\d+ ms, the prefix floor ~\d+ ms|no donor can beat the prefix floor for a prompt this short now)/
            );
        expect(gated.every((r) => r.mode !== "semantic")).toBe(true);
    });
    it("is shown the pass of each served prompt's last token, timed by the request path; not where sampling read the distribution out", async () => {
        const seen = vi.spyOn(CostGate.prototype, "observeLastToken");
        try {
            await complete("A quiet lake at dawn: mist over the water, a heron on one leg, and a boat tied to the wooden pier.");
            expect(seen).toHaveBeenCalledTimes(1);
            const ms = seen.mock.calls[0]![0];
            expect(ms).toBeGreaterThan(0);
            expect(ms).toBeLessThan(60_000);
            seen.mockClear();
            // With logprobs the first pick copies the distribution out: no sample of a plain pass.
            const res = await server.api("/v1/completions", {
                method: "POST",
                json: {prompt: "The market opens at eight with fish, bread and flowers on long tables.", max_tokens: 2, temperature: 0, logprobs: 2}
            });
            expect(res.status).toBe(200);
            await server.core.requirePipeline().settled();
            expect(seen).not.toHaveBeenCalled();
        } finally {
            seen.mockRestore();
        }
    });
});
