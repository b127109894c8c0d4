import {spawnSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * A real small disk: a tmpfs of `size` (mount's syntax, e.g. "1m") in a fresh folder. Mounting needs root on Linux
 * (CI runs as root); elsewhere undefined, and the tests that need it are skipped (listed as skipped).
 */
export function mountTmpfs(size: string): string | undefined {
    if (process.platform !== "linux" || process.getuid?.() !== 0) return undefined;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvshare-disk-"));
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
    if (mounted.status === 0) return dir;
    fs.rmSync(dir, {recursive: true, force: true});
    return undefined;
}

export function unmountTmpfs(dir: string): void {
    spawnSync("umount", [dir]);
    fs.rmSync(dir, {recursive: true, force: true});
}

/** Takes every free block of the file system holding `dir` (in a file `filler` there) but `leave` bytes. */
export function fillDisk(dir: string, leave = 0): void {
    const free = fs.statfsSync(dir).bavail * fs.statfsSync(dir).bsize;
    try {
        fs.writeFileSync(path.join(dir, "filler"), Buffer.alloc(Math.max(0, free - leave) + (leave === 0 ? 4096 : 0)));
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
    }
}

export function freeDisk(dir: string): void {
    fs.rmSync(path.join(dir, "filler"), {force: true});
}
