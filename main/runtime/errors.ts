/** A prompt (plus requested output) that does not fit the context: HTTP 400, not retried. */
export class ContextOverflowError extends Error {
    public constructor(
        public readonly promptTokens: number,
        public readonly requested: number,
        public readonly contextSize: number
    ) {
        super(
            requested > 0
                ? `This model's maximum context length is ${contextSize} tokens. However, you requested ${promptTokens + requested} tokens ` +
                      `(${promptTokens} in the prompt, ${requested} for the completion). Please reduce the prompt or max_tokens.`
                : `This model's maximum context length is ${contextSize} tokens, but the prompt has ${promptTokens} tokens. Please reduce the prompt.`
        );
    }
}

/**
 * No tokenizer packs more than this many characters into one token on average, so a prompt longer
 * than `contextSize` × this cannot fit whatever it says.
 */
export const maxCharsPerToken = 64;

/**
 * Refuses a text that cannot fit the context by its length alone, before tokenizing it: tokenizing runs
 * on the event loop (a 4 MB prompt takes seconds), and a request that can only fail must not hold up others.
 * @throws ContextOverflowError
 */
export function checkTextLength(characters: number, contextSize: number): void {
    if (characters <= contextSize * maxCharsPerToken) return;
    const error = new ContextOverflowError(contextSize, 0, contextSize);
    error.message = `This model's maximum context length is ${contextSize} tokens, and a prompt of ${characters} characters cannot fit it. Please reduce the prompt.`;
    throw error;
}

/** The model is not loaded (yet, or it failed): HTTP 503. */
export class ModelUnavailableError extends Error {}

/** A structured-output schema llama.cpp cannot turn into a grammar: HTTP 400. */
export class UnsupportedOutputFormatError extends Error {
    public constructor(
        message: string,
        /** The request field that asked for structured output. */
        public readonly param: string
    ) {
        super(message);
    }
}
