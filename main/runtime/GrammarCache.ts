import {createHash} from "node:crypto";
import {LlamaGrammar, LlamaGrammarEvaluationState, type Llama, type LlamaModel} from "node-llama-cpp";
import {UnsupportedOutputFormatError} from "./errors.js";
import type {OutputFormat} from "./types.js";

/**
 * Where the answer of a node-llama-cpp JSON Schema grammar is over: its grammar ends in four newlines (then any
 * more) and leaves stopping to the caller. Two newlines in a row occur nowhere else (its whitespace rules put
 * at most one before indentation or a closing bracket, and strings hold no raw newline), so the answer stops at
 * the second, not the fourth.
 */
export const jsonGrammarEnd = "\n\n";

/**
 * node-llama-cpp's integer rule allows an exponent with a sign ("-821e-4" is not an integer): integers here are
 * written out, as JSON Schema's validators expect them.
 */
const integerRule = /^integer-number-rule ::= .*$/m;
const plainIntegerRule = 'integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15})';

/** Grammars kept for reuse: an app asks with the same schema again and again. */
const capacity = 32;

/**
 * The grammars of structured output (`response_format`), built from their JSON Schema by node-llama-cpp and
 * kept, least recently used out, so a client that sends the same schema with every request does not pay the
 * GBNF compile each time.
 */
export class GrammarCache {
    private readonly grammars = new Map<string, Promise<LlamaGrammar>>();

    /**
     * @param refusal why this model cannot be held to a grammar at all, when it cannot: on a vocabulary
     *   without byte fallback llama.cpp's grammar sampler accepts tokens it then fails on, and node-llama-cpp
     *   loses that error (the request never ends and the process gets an unhandled rejection)
     */
    public constructor(
        private readonly llama: Llama,
        private readonly model: LlamaModel,
        private readonly refusal?: string
    ) {}

    /** @throws UnsupportedOutputFormatError when llama.cpp cannot parse the grammar the schema gives */
    public async grammarFor(format: OutputFormat): Promise<LlamaGrammar> {
        if (this.refusal != null) throw new UnsupportedOutputFormatError(this.refusal, format.param);
        return this.cached(format);
    }

    private cached(format: OutputFormat): Promise<LlamaGrammar> {
        // Keyed by a digest, not the schema's text (up to the API's limit each); a schema llama.cpp refused is kept
        // as refused, so asking again costs nothing.
        const key = createHash("sha256").update(JSON.stringify(format.schema)).digest("base64");
        let grammar = this.grammars.get(key);
        if (grammar != null) this.grammars.delete(key);
        else {
            grammar = this.build(format);
            grammar.catch(() => undefined);
        }
        this.grammars.set(key, grammar);
        if (this.grammars.size > capacity) this.grammars.delete(this.grammars.keys().next().value as string);
        return grammar;
    }

    private async build(format: OutputFormat): Promise<LlamaGrammar> {
        // llama.cpp parses the grammar when it is made and again when a state is made: both here, so a grammar
        // it refuses (too many repetitions from large length or item counts) is the request's error, not a
        // failure mid-answer. The schema was checked by the API; the cast is to node-llama-cpp's schema type.
        try {
            const generated = await this.llama.createGrammarForJsonSchema(format.schema as Parameters<Llama["createGrammarForJsonSchema"]>[0]);
            const grammar = new LlamaGrammar(this.llama, {grammar: generated.grammar.replace(integerRule, plainIntegerRule)});
            new LlamaGrammarEvaluationState({model: this.model, grammar});
            return grammar;
        } catch (error) {
            throw new UnsupportedOutputFormatError(
                `llama.cpp cannot build a grammar from this schema (${(error as Error).message}); large maxLength, minLength, maxItems or minItems values are the usual cause.`,
                format.param
            );
        }
    }
}
