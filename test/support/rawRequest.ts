import http from "node:http";

export interface RawResponse {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

/**
 * One HTTP request with headers `fetch` refuses to set (Host, a forged Origin), to a server address
 * given as host and port.
 */
export function rawRequest(options: {
    host: string;
    port: number;
    path: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
}): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            {host: options.host, port: options.port, path: options.path, method: options.method ?? "GET", headers: options.headers},
            (res) => {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (chunk: string) => (body += chunk));
                res.on("end", () => resolve({status: res.statusCode ?? 0, headers: res.headers, body}));
            }
        );
        req.on("error", reject);
        req.end(options.body);
    });
}
