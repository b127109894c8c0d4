import path from "node:path";

/**
 * Where a file inside a packaged app's `app.asar` really is when electron-builder unpacked it: native code
 * (llama.cpp's builds, SQLite extensions) is loaded with the OS's loader, which cannot read inside the archive.
 * Paths outside an archive come back as they are.
 */
export function asarUnpacked(file: string, separator = path.sep): string {
    return file.replace(`app.asar${separator}`, `app.asar.unpacked${separator}`);
}
