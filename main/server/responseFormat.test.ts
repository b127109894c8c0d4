import {describe, expect, it} from "vitest";
import {ApiError} from "./errors.js";
import {parseResponseFormat, toGrammarSchema} from "./responseFormat.js";

const any = toGrammarSchema({}, "p");

describe("toGrammarSchema", () => {
    it("rewrites what node-llama-cpp would read as null into what JSON Schema means", () => {
        // `{}`, `true` and an object without properties allow anything (the grammar generator would allow only null / `{}`).
        expect(any).toHaveProperty("oneOf");
        expect(toGrammarSchema(true, "p")).toEqual(any);
        expect(toGrammarSchema({type: "object"}, "p")).toEqual({type: "object", additionalProperties: true});
        expect(toGrammarSchema({anyOf: [{type: "string"}, {type: "null"}]}, "p")).toEqual({oneOf: [{type: "string"}, {type: "null"}]});
        expect(toGrammarSchema({properties: {a: {type: "string"}}}, "p")).toEqual({type: "object", properties: {a: {type: "string"}}});
        expect(toGrammarSchema({type: ["object", "null"], properties: {a: {const: 1}}}, "p")).toEqual({
            oneOf: [
                {type: "object", properties: {a: {const: 1}}},
                {type: "null", properties: {a: {const: 1}}}
            ]
        });
        expect(toGrammarSchema({definitions: {x: {type: "integer"}}, type: "array", items: {$ref: "#/definitions/x"}}, "p")).toEqual({
            $defs: {x: {type: "integer"}},
            type: "array",
            items: {$ref: "#/$defs/x"}
        });
        expect(toGrammarSchema({type: "string", format: "email", title: "t", description: "d"}, "p")).toEqual({type: "string"});
        expect(toGrammarSchema({type: "string", format: "date"}, "p")).toEqual({type: "string", format: "date"});
    });

    it("refuses what it cannot enforce, naming the path", () => {
        const message = (schema: unknown) => {
            try {
                toGrammarSchema(schema, "s");
            } catch (error) {
                expect(error).toBeInstanceOf(ApiError);
                return (error as ApiError).message;
            }
            throw new Error("accepted");
        };
        expect(message({type: "object", properties: {a: {type: "string", pattern: "x"}}})).toMatch(/'s\.properties\.a': the keyword 'pattern'/);
        expect(message({allOf: [{type: "string"}]})).toMatch(/'allOf'/);
        expect(message({items: [{type: "string"}], type: "array"})).toMatch(/s\.items' must be a JSON Schema object/);
        expect(message({$ref: "#/$defs/missing"})).toMatch(/reference/);
        expect(message({enum: [{a: 1}]})).toMatch(/enum/);
        expect(message({minItems: -1, type: "array"})).toMatch(/non-negative integer/);
        expect(message({required: ["a"]})).toMatch(/without 'type'/);
        let deep: unknown = {type: "string"};
        for (let i = 0; i < 40; i++) deep = {type: "array", items: deep};
        expect(message(deep)).toMatch(/nesting deeper/);
    });
});

describe("parseResponseFormat", () => {
    it("maps the OpenAI shapes", () => {
        expect(parseResponseFormat({})).toBeUndefined();
        expect(parseResponseFormat({response_format: {type: "text"}})).toBeUndefined();
        expect(parseResponseFormat({response_format: {type: "json_object"}})).toEqual({schema: {type: "object", additionalProperties: true}});
        expect(parseResponseFormat({response_format: {type: "json_schema", json_schema: {name: "n", strict: true, schema: {type: "boolean"}}}})).toEqual({
            schema: {type: "boolean"}
        });
        expect(() => parseResponseFormat({response_format: {type: "json_schema", json_schema: {name: "n"}}})).toThrow(/required/);
    });
});
