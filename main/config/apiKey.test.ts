import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {describe, expect, it} from "vitest";
import {apiKeyPath, loadOrCreateApiKey} from "./apiKey.js";

describe("the app's api-key file", () => {
    it("is refused, not replaced, when it holds no usable key, naming the file and what is wrong", () => {
        const cases: Array<[string | Buffer, RegExp]> = [
            ["", /it is empty/],
            ["\n", /it is empty/],
            ["short\n", /it holds 5 characters; a key has at least 16/],
            ["kvs-abc def-0123456789\n", /white space \(U\+0020\), which cannot be sent in an HTTP header/],
            ["kvs-clé-0123456789abcdef\n", /a character outside ASCII \(U\+00E9\)/],
            [Buffer.from([...Buffer.from("kvs-0123456789abcdef"), 0xff, 0x0a]), /a character outside ASCII \(U\+FFFD\)/],
            ["kvs-0123456789\u0007abcdef\n", /a control character \(U\+0007\)/]
        ];
        for (const [content, problem] of cases) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-apikey-"));
            const file = apiKeyPath(dir);
            fs.writeFileSync(file, content);
            expect(() => loadOrCreateApiKey(dir), JSON.stringify(content.toString())).toThrow(problem);
            expect(() => loadOrCreateApiKey(dir)).toThrow(`The API key file ${file} holds no usable key: `);
            expect(() => loadOrCreateApiKey(dir)).toThrow(/delete it to have a new key made \(every client then needs the new key\)/);
            // Left as it was: the owner may still restore what the clients use.
            expect(fs.readFileSync(file)).toEqual(Buffer.from(content));
            expect(fs.readdirSync(dir)).toEqual(["api-key"]);
        }
    });

    it("keeps a key written by hand in visible ASCII, without the line end around it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-apikey-"));
        fs.writeFileSync(apiKeyPath(dir), "  my+own/key=0123456789~!\r\n");
        expect(loadOrCreateApiKey(dir)).toEqual({key: "my+own/key=0123456789~!", created: false});
    });
});
