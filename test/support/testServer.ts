import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import OpenAI from "openai";
import {silentLogger} from "../../main/common/log.js";
import {startServer, type RunningServer, type ServeOptions} from "../../main/app/startServer.js";
import {testGpuSetting} from "./backend.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The tiny real model every test uses (from ../shared/models, never copied into the repo). */
export const testModelPath = process.env.KVSHARE_TEST_MODEL ?? path.resolve(repoRoot, "../shared/models/stories260K.gguf");
export const otherModelPath = path.resolve(path.dirname(testModelPath), "TinyStories-656K-Q8_0.gguf");

export const testApiKey = "kvs-test-key-0123456789abcdef";

export interface TestServer extends RunningServer {
    client: OpenAI;
    dataDir: string;
    /** fetch against the server with the test key. */
    api(pathname: string, init?: RequestInit & {json?: unknown; noAuth?: boolean}): Promise<Response>;
}

/**
 * Starts a real server on a free loopback port with a fresh data folder, 1 llama.cpp thread and the
 * backend of KVSHARE_TEST_BACKEND (see ./backend.ts).
 */
export async function startTestServer(options: Partial<ServeOptions> = {}): Promise<TestServer> {
    const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-test-"));
    const server = await startServer({
        modelPath: testModelPath,
        apiKey: testApiKey,
        log: silentLogger,
        ...options,
        dataDir,
        // The cost gate off: on this tiny model prefill is nearly free, and the tests exercise reuse
        // itself; the gate has tests of its own.
        overrides: {
            threads: 1,
            gpu: testGpuSetting,
            ...options.overrides,
            api: {port: 0, host: "127.0.0.1", ...options.overrides?.api},
            sharing: {costGate: false, ...options.overrides?.sharing}
        }
    });
    const client = new OpenAI({baseURL: `${server.url}/v1`, apiKey: testApiKey, maxRetries: 0, timeout: 60_000});
    const api = (pathname: string, init: RequestInit & {json?: unknown; noAuth?: boolean} = {}) => {
        const headers = new Headers(init.headers);
        if (!init.noAuth && !headers.has("authorization")) headers.set("authorization", `Bearer ${testApiKey}`);
        let body = init.body;
        if (init.json !== undefined) {
            headers.set("content-type", "application/json");
            body = JSON.stringify(init.json);
        }
        return fetch(server.url + pathname, {...init, headers, body});
    };
    return {...server, client, dataDir, api};
}
