/** A prompt (plus requested output) that does not fit the context: HTTP 400, not retried. */
export class ContextOverflowError extends Error {
    public constructor(public readonly promptTokens: number, public readonly requested: number, public readonly contextSize: number) {
        super(
            requested > 0
                ? `This model's maximum context length is ${contextSize} tokens. However, you requested ${promptTokens + requested} tokens ` +
                  `(${promptTokens} in the prompt, ${requested} for the completion). Please reduce the prompt or max_tokens.`
                : `This model's maximum context length is ${contextSize} tokens, but the prompt has ${promptTokens} tokens. Please reduce the prompt.`
        );
    }
}

/** The model is not loaded (yet, or it failed): HTTP 503. */
export class ModelUnavailableError extends Error {}
