// Talking to the edge's JSON API with this device's bearer token.
// Every failure becomes an ApiError whose `advice` tells a person what to do next.

export class ApiError extends Error {
  constructor(status, message, advice, reason = null) {
    super(message);
    this.status = status;
    this.advice = advice;
    this.reason = reason; // machine-readable cause from the X-Vitrine-Reason header, when given
  }
}

export class Api {
  /**
   * @param {() => string|null} tokenSource returns the bearer token or null when signed out
   * @param {() => object} extraHeaders more headers per request (the kiosk's customer card token)
   */
  constructor(tokenSource, { timeoutMs = 8000, extraHeaders = () => ({}) } = {}) {
    this.tokenSource = tokenSource;
    this.timeoutMs = timeoutMs;
    this.extraHeaders = extraHeaders;
  }

  async request(method, path, body) {
    const headers = { Accept: "application/json", ...this.extraHeaders() };
    const token = this.tokenSource();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.timeoutMs);
    let resp;
    try {
      resp = await fetch(path, {
        method, headers, signal: ctrl.signal, cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, "network", "The store server cannot be reached. Check the Wi-Fi, then try again.");
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    const text = await resp.text();
    if (text) {
      try { data = JSON.parse(text); } catch { data = { detail: text }; }
    }
    if (!resp.ok) {
      throw new ApiError(resp.status, detailOf(data) || resp.statusText, adviceFor(resp.status), resp.headers.get("X-Vitrine-Reason"));
    }
    return data;
  }

  get(path) { return this.request("GET", path); }
  post(path, body) { return this.request("POST", path, body ?? {}); }
  put(path, body) { return this.request("PUT", path, body ?? {}); }
  delete(path) { return this.request("DELETE", path); }
}

/** FastAPI errors come as {detail: str} or {detail: [{msg, loc}]}; keep the human part. */
export function detailOf(data) {
  if (!data) return "";
  const d = data.detail ?? data.error ?? data.message;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) return d.map((e) => `${(e.loc || []).slice(1).join(".")}: ${e.msg}`).join("; ");
  if (d && typeof d === "object") return d.message || JSON.stringify(d);
  return "";
}

export function adviceFor(status) {
  if (status === 401) return "Sign in again (your session may have expired).";
  if (status === 403) return "This device is not allowed to do that. Ask a manager.";
  if (status === 404) return "Check the code or number and try again.";
  if (status === 409) return "Refresh and check the current state, then try again.";
  if (status === 422 || status === 400) return "Correct the highlighted value and try again.";
  if (status === 429) return "Too many attempts. Wait a minute, then try again.";
  if (status >= 500) return "The store server had a problem. Try again; if it persists, call IT support.";
  return "Try again.";
}

export function euros(cents) {
  if (cents === null || cents === undefined) return "–";
  return new Intl.NumberFormat(document.documentElement.lang || "en", { style: "currency", currency: "EUR" })
    .format(cents / 100);
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Show an error (or info) box with a next step inside `box`. */
export function showNotice(box, kind, message, advice) {
  box.replaceChildren(el("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" },
    el("strong", { text: message }), advice ? el("div", { text: advice }) : null));
}

export function clearNotice(box) { box.replaceChildren(); }

/**
 * Subscribe to a server-sent-events stream with the bearer token in the Authorization header
 * (EventSource cannot send headers, and a token in the URL would end up in logs). Reconnects with
 * a capped backoff until `close()` is called; `onState(live)` tells the page whether it is live.
 */
export function subscribe(url, tokenSource, handlers, onState) {
  let stopped = false;
  let ctrl = null;
  let delay = 500;
  const dispatch = (name, raw) => {
    const fn = handlers[name] || handlers.message;
    if (!fn) return;
    let data = raw;
    try { data = JSON.parse(raw); } catch { /* plain text event */ }
    fn(data, name);
  };
  const run = async () => {
    while (!stopped) {
      ctrl = new AbortController();
      try {
        const resp = await fetch(url, {
          headers: { Accept: "text/event-stream", Authorization: `Bearer ${tokenSource()}` },
          signal: ctrl.signal, cache: "no-store",
        });
        if (!resp.ok || !resp.body) throw new Error(`stream ${resp.status}`);
        onState && onState(true);
        delay = 500;
        const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value.replace(/\r\n/g, "\n");
          let cut;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let name = "message";
            const lines = [];
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) name = line.slice(6).trim();
              else if (line.startsWith("data:")) lines.push(line.slice(5).replace(/^ /, ""));
            }
            if (lines.length) dispatch(name, lines.join("\n"));
          }
        }
      } catch (err) {
        /* fall through to reconnect */
      }
      if (stopped) break;
      onState && onState(false);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  };
  run();
  return { close() { stopped = true; if (ctrl) ctrl.abort(); } };
}
