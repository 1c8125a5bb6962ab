/**
 * The status page in real headless Chromium (Debian's, driven by playwright-core), served by
 * `nutguard exporter` watching a real upsd, behind a reverse proxy at a sub-path (/nut/):
 * the page shows the UPS, then "On battery" and the new event without a reload; it loads nothing
 * from anywhere else; it fits a phone's width; with JavaScript disabled it is a static snapshot.
 * Screenshots go to test-artifacts/ (kept by CI, ignored by git).
 */
import { existsSync, mkdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEVICES, type NutStack, startNutStack } from "../helpers/nut-stack.js";
import { type ExporterProcess, startExporter } from "../helpers/nutguard-exporter.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const OL = DEFAULT_DEVICES.dummy!.dev!;

let stack: NutStack;
let exporter: ExporterProcess;
let proxy: http.Server;
let base: string;
let browser: Browser;

/** A minimal reverse proxy: /nut/<path> → the exporter's /<path>, streamed (so SSE passes through). */
function startProxy(target: number): Promise<http.Server> {
  const srv = http.createServer((req, res) => {
    if (!req.url?.startsWith("/nut/")) {
      res.writeHead(404).end("not under /nut/");
      return;
    }
    const up = http.request(
      { host: "127.0.0.1", port: target, path: req.url.slice(4), method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve(srv)));
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: run scripts/ensure-test-tools.sh`);
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startNutStack({ devices: { dummy: { ...DEFAULT_DEVICES.dummy!, dev: OL } } });
  exporter = await startExporter({ args: ["-i", "1", `dummy@127.0.0.1:${stack.port}`] });
  proxy = await startProxy(exporter.port);
  base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/nut/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  proxy?.closeAllConnections();
  await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
  await exporter?.stop();
  await stack?.stop();
});

describe("status page in headless Chromium", () => {
  it("shows the UPS, then 'On battery' and the new event without a reload, loading nothing from elsewhere", async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    const U = `dummy@127.0.0.1:${stack.port}`;
    await stack.waitFor(async () => {
      await page.goto(base);
      return (await page.locator(`section.ups[data-ups="${U}"] .status`).textContent()) === "On line power";
    });
    await page.locator("#conn", { hasText: "live" }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${ARTIFACTS}status-online.png`, fullPage: true });
    await page.evaluate("window.notReloaded = true");

    await writeFile(stack.devicePath("dummy"), OL.replace("ups.status: OL", "ups.status: OB DISCHRG"));
    await page
      .locator(`section.ups[data-ups="${U}"] .status`, { hasText: "On battery, discharging" })
      .waitFor({ timeout: 20_000 });
    await page
      .locator("ol.events li", { hasText: `${U}: On battery, discharging` })
      .waitFor({ timeout: 5000 });
    expect(await page.evaluate("window.notReloaded")).toBe(true);
    expect(await page.locator(`section.ups[data-ups="${U}"] tr`, { hasText: "On battery for" }).count()).toBe(
      1,
    );
    await page.screenshot({ path: `${ARTIFACTS}status-on-battery.png`, fullPage: true });

    const origin = new URL(base).origin;
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((u) => !u.startsWith(`${origin}/nut/`))).toEqual([]);
    await context.close();
  });

  it("fits a phone's width", async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true });
    const page = await context.newPage();
    await page.goto(base);
    await page.locator("section.ups").first().waitFor();
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
    await page.screenshot({ path: `${ARTIFACTS}status-phone.png`, fullPage: true });
    await context.close();
  });

  it("with JavaScript disabled, is a complete static snapshot", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(base);
    const U = `dummy@127.0.0.1:${stack.port}`;
    const card = page.locator(`section.ups[data-ups="${U}"]`);
    expect(await card.locator(".status").textContent()).toMatch(/^On (line power|battery)/);
    expect(await card.locator("tr", { hasText: "Charge" }).textContent()).toContain("100 %");
    expect(await card.locator("tr", { hasText: "Input voltage" }).textContent()).toContain("230 V");
    expect(await page.locator("#conn").textContent()).toBe("static snapshot");
    expect(await card.locator("svg").count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}status-no-javascript.png`, fullPage: true });
    await context.close();
  });
});
