/** How a model load failed, as the switch decides on it and the admin reads it. */

/** node-llama-cpp's refusal when the model (or its context) does not fit in the memory left. */
export function isOutOfMemory(error: unknown): boolean {
    return error instanceof Error && (error.name === "InsufficientMemoryError" || /insufficient memory|out of memory|failed to allocate/i.test(error.message));
}

/** A load failure as the admin should read it: llama.cpp's reason, never a bare JavaScript TypeError. */
export function loadFailure(error: unknown): Error {
    if (error instanceof Error && !(error instanceof TypeError || error instanceof RangeError)) return error;
    return new Error(`the file is damaged or not a model llama.cpp can load (${error instanceof Error ? error.message : String(error)})`);
}
