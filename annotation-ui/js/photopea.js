// The embedded Photopea: one iframe per opened scene, scripts sent with
// postMessage one at a time. Photopea answers each script with any echoToOE
// strings and saveToOE ArrayBuffers, then the string "done"; it also sends "done"
// once when it has started.

const POLL_MS = 200;
const MARKER = "cerulean-annotation:end:";

export class Photopea {
  /**
   * @param {HTMLElement} container where the iframe goes
   * @param {string} origin Photopea's origin, e.g. https://www.photopea.com
   */
  constructor(container, origin) {
    this.container = container;
    this.origin = origin;
    this.frame = null;
    this.started = null;
    this.pending = null;
    this.queue = Promise.resolve();
    this.sequence = 0;
    window.addEventListener("message", (event) => this.#onMessage(event));
  }

  /**
   * Start a fresh Photopea with the JSON configuration in the URL hash (files to
   * open, environment). A new iframe each time: changing only the hash of an
   * existing one would not restart Photopea, and a restart drops the last scene.
   */
  start(config, timeoutMs = 60000) {
    this.#fail(new Error("Photopea restarted"));
    this.queue = Promise.resolve();
    const frame = document.createElement("iframe");
    frame.title = "Photopea image editor";
    frame.src = `${this.origin}/#${encodeURI(JSON.stringify(config))}`;
    this.started = this.#expect(timeoutMs, "Photopea did not start");
    this.container.replaceChildren(frame);
    this.frame = frame;
    return this.started.promise;
  }

  /**
   * Run a script; resolves with what it sent back: {echoes: string[], buffers: ArrayBuffer[]}.
   * Scripts run in the order they were asked for, each after the previous one ended.
   * Each script ends by echoing a sequence marker, and only the "done" after that
   * marker ends it, so a "done" that answers something else cannot end it early.
   */
  run(script, timeoutMs = 60000) {
    const result = this.queue.then(() => {
      if (!this.frame) throw new Error("Photopea is not open");
      this.sequence += 1;
      const marker = `${MARKER}${this.sequence}`;
      this.pending = this.#expect(timeoutMs, "Photopea did not answer");
      this.pending.marker = marker;
      const wrapped = `try {\n${script}\n} finally { app.echoToOE(${JSON.stringify(marker)}); }`;
      this.frame.contentWindow.postMessage(wrapped, this.origin);
      return this.pending.promise;
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Run `script` (which echoes one JSON string) until `accept(parsed)` holds. */
  async poll(script, accept, timeoutMs = 60000, what = "Photopea") {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { echoes } = await this.run(script);
      const value = JSON.parse(echoes.at(-1) ?? "null");
      if (value !== null && accept(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  #expect(timeoutMs, message) {
    const waiter = { echoes: [], buffers: [] };
    waiter.promise = new Promise((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
    });
    waiter.timer = setTimeout(() => {
      waiter.reject(new Error(`${message} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    return waiter;
  }

  #fail(error) {
    for (const waiter of [this.started, this.pending]) {
      if (waiter) {
        clearTimeout(waiter.timer);
        waiter.reject(error);
        waiter.promise.catch(() => undefined);
      }
    }
    this.started = null;
    this.pending = null;
  }

  #onMessage(event) {
    if (!this.frame || event.source !== this.frame.contentWindow) return;
    if (event.origin !== this.origin) return;
    if (this.started) {
      if (event.data === "done") {
        clearTimeout(this.started.timer);
        this.started.resolve();
        this.started = null;
      }
      return;
    }
    const waiter = this.pending;
    if (!waiter) return;
    if (event.data === "done") {
      if (!waiter.ended) return;
      clearTimeout(waiter.timer);
      this.pending = null;
      waiter.resolve({ echoes: waiter.echoes, buffers: waiter.buffers });
    } else if (event.data === waiter.marker) {
      waiter.ended = true;
    } else if (event.data instanceof ArrayBuffer) {
      waiter.buffers.push(event.data);
    } else if (typeof event.data === "string") {
      waiter.echoes.push(event.data);
    }
  }
}
