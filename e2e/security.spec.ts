import {expect, test} from "./fixtures.js";

test("the UI runs under its CSP: served with the header, no violations, injected inline scripts blocked", async ({page, server}) => {
    const violations: string[] = [];
    await page.exposeFunction("reportViolation", (directive: string) => violations.push(directive));
    await page.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (event) =>
            (window as unknown as {reportViolation(d: string): void}).reportViolation(event.violatedDirective)
        );
    });
    const response = await page.goto(server.url);
    const csp = response!.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'self'");
    expect(response!.headers()["x-content-type-options"]).toBe("nosniff");

    await expect(page.getByTestId("composer-input")).toBeVisible();
    expect(violations).toEqual([]);

    // An injected inline script (what an XSS would try) must not run.
    const ran = await page.evaluate(async () => {
        (window as unknown as {injected?: boolean}).injected = false;
        const script = document.createElement("script");
        script.textContent = "window.injected = true;";
        document.body.appendChild(script);
        await new Promise((r) => setTimeout(r, 100));
        return (window as unknown as {injected?: boolean}).injected;
    });
    expect(ran).toBe(false);
    await expect.poll(() => violations).toContain("script-src-elem");

    // A cross-origin request from the page is blocked by connect-src.
    const fetched = await page.evaluate(() =>
        fetch("http://127.0.0.2:9/").then(
            () => "ok",
            () => "blocked"
        )
    );
    expect(fetched).toBe("blocked");
});
