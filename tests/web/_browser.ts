// A headless Chromium driven over the DevTools protocol directly (Deno's WebSocket; no puppeteer):
// start it, open a page, evaluate in it, take a screenshot, stop it.
import { join } from "node:path";

/** Where Debian's chromium is, or undefined. */
export const chromiumPath = (): string | undefined =>
  ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });

export interface Browser {
  /** evaluates an expression in the page; its value (JSON-able) */
  readonly evaluate: <T>(expression: string) => Promise<T>;
  /** gives the file input at `selector` these files, as a user picking them would */
  readonly setFiles: (selector: string, paths: readonly string[]) => Promise<void>;
  /** a PNG screenshot of the page */
  readonly screenshot: () => Promise<Uint8Array>;
  /** the page's console lines and uncaught errors so far */
  readonly console: string[];
  readonly close: () => Promise<void>;
}

/** Starts headless Chromium with WebGPU on (SwiftShader where there is no GPU) at `url`. */
export const openPage = async (url: string, executable = chromiumPath()!): Promise<Browser> => {
  const profile = await Deno.makeTempDir({ prefix: "chromium_" });
  const child = new Deno.Command(executable, {
    args: [
      "--headless=new",
      "--enable-unsafe-webgpu",
      "--enable-features=Vulkan",
      "--no-sandbox",
      "--no-first-run",
      "--disable-gpu-sandbox",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "--window-size=1200,900",
      "about:blank",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // the DevTools endpoint is printed on stderr: "DevTools listening on ws://..."
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let endpoint: string | undefined;
  const deadline = Date.now() + 30_000;
  while (!endpoint) {
    if (Date.now() > deadline) throw new Error(`chromium did not start:\n${seen}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`chromium exited:\n${seen}`);
    seen += value;
    endpoint = /DevTools listening on (ws:\/\/\S+)/.exec(seen)?.[1];
  }
  // keep draining stderr so chromium never blocks on a full pipe
  (async () => {
    while (!(await reader.read().catch(() => ({ done: true }))).done) { /* drain */ }
  })();
  const port = new URL(endpoint).port;
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const page = targets.find((t: { type: string }) => t.type === "page");
  const ws = new WebSocket(page.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("DevTools WebSocket failed"));
  });
  let id = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const lines: string[] = [];
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.id !== undefined) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(`${m.error.message} ${m.error.data ?? ""}`));
      else p?.resolve(m.result);
    } else if (m.method === "Runtime.consoleAPICalled") {
      lines.push(
        m.params.args.map((a: { value?: unknown; description?: string }) =>
          a.value ?? a.description
        ).join(" "),
      );
    } else if (m.method === "Runtime.exceptionThrown") {
      lines.push(
        `uncaught: ${
          m.params.exceptionDetails.exception?.description ?? m.params.exceptionDetails.text
        }`,
      );
    }
  };
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      pending.set(++id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Runtime.enable");
  await send("Page.enable");
  await send("Page.navigate", { url });
  return {
    console: lines,
    evaluate: async <T>(expression: string) => {
      const r = await send("Runtime.evaluate", {
        expression,
        returnByValue: true,
        awaitPromise: true,
      }) as {
        result: { value: T };
        exceptionDetails?: { text: string };
      };
      if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.text}`);
      return r.result.value;
    },
    setFiles: async (selector, paths) => {
      const doc = await send("DOM.getDocument") as { root: { nodeId: number } };
      const { nodeId } = await send("DOM.querySelector", {
        nodeId: doc.root.nodeId,
        selector,
      }) as { nodeId: number };
      if (!nodeId) throw new Error(`no ${selector} in the page`);
      await send("DOM.setFileInputFiles", { nodeId, files: paths });
    },
    screenshot: async () => {
      const r = await send("Page.captureScreenshot", { format: "png" }) as { data: string };
      return Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0));
    },
    close: async () => {
      ws.close();
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
};

/** Waits until `#result` holds JSON with `ok` or `error`, polling every 250 ms; that JSON. */
export const pageResult = async <T>(browser: Browser, seconds = 240): Promise<T> => {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const text = await browser.evaluate<string>(
      "document.getElementById('result')?.textContent ?? ''",
    ).catch(() => "");
    if (text) {
      const r = JSON.parse(text);
      if (r.ok || r.error) return r as T;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `the page wrote no result in ${seconds} s; its console:\n${browser.console.join("\n")}`,
  );
};

export const screenshotTo = async (
  browser: Browser,
  dir: string,
  name: string,
): Promise<string> => {
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await Deno.writeFile(path, await browser.screenshot());
  return path;
};
