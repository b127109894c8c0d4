import {createModelDownloader} from "node-llama-cpp";

/** A small, capable chat model whose KV can be shifted (plain RoPE, full attention). */
export const defaultModelUri = "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M";

/** Downloads the default model into `dir` with a progress bar on stderr; returns the file path. */
export async function downloadDefaultModel(dir: string): Promise<string> {
    const downloader = await createModelDownloader({
        modelUri: defaultModelUri,
        dirPath: dir,
        showCliProgress: false,
        onProgress({totalSize, downloadedSize}) {
            const width = 30;
            const share = totalSize > 0 ? downloadedSize / totalSize : 0;
            const bar = "#".repeat(Math.round(share * width)).padEnd(width, ".");
            process.stderr.write(`\rdownloading ${defaultModelUri} [${bar}] ${(share * 100).toFixed(1)}% of ${(totalSize / 2 ** 20).toFixed(0)} MiB`);
        }
    });
    const file = await downloader.download();
    process.stderr.write("\n");
    return file;
}
