/** Minimal leveled logger; tests pass a silent one. */
export interface Logger {
    info(message: string): void;
    warn(message: string): void;
    error(message: string): void;
}

export const consoleLogger: Logger = {
    info: (message) => console.log(`[kvshare] ${message}`),
    warn: (message) => console.warn(`[kvshare] warning: ${message}`),
    error: (message) => console.error(`[kvshare] error: ${message}`)
};

export const silentLogger: Logger = {info() {}, warn() {}, error() {}};
