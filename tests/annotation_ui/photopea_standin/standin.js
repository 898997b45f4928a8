// A local stand-in for Photopea for the page's browser tests. It speaks the
// parts of Photopea's API the page uses: the JSON configuration in the URL hash,
// scripts sent by postMessage and run against a small Photoshop-like object model
// (app.documents, app.activeDocument.layers top-first, artLayers.add(), app.open,
// app.foregroundColor, SolidColor, echoToOE, saveToOE("png")), answering each with
// its outputs and then "done". Like Photopea, it answers "done" once started and
// loads files asynchronously. Every configuration and script it receives is
// POSTed to /__record on its own server so the tests can read what the page sent.
// window.standin has hooks that play the annotator's hand (painting, making a
// layer in Photopea's own UI, picking another brush colour).

const outputs = [];
// When set, the next script's answer starts with an unsolicited "done".
let strayDone = false;

function record(kind, data) {
  return fetch("/__record", { method: "POST", body: JSON.stringify({ kind, data }) });
}

class SolidColor {
  constructor() {
    this.rgb = { red: 0, green: 0, blue: 0 };
  }
}

class ArtLayer {
  constructor(doc, name) {
    this.typename = "ArtLayer";
    this.name = name;
    this.visible = true;
    this.opacity = 100;
    this.canvas = new OffscreenCanvas(doc.width, doc.height);
  }
}

class Document {
  constructor(name, width, height) {
    this.name = name;
    this.width = width;
    this.height = height;
    this.layers = [];
    this.activeLayer = null;
    this.artLayers = { add: () => this.addLayer(`Layer ${this.layers.length + 1}`) };
  }

  addLayer(name) {
    const layer = new ArtLayer(this, name);
    this.layers.unshift(layer);
    this.activeLayer = layer;
    return layer;
  }

  composite() {
    const canvas = new OffscreenCanvas(this.width, this.height);
    const context = canvas.getContext("2d");
    for (const layer of [...this.layers].reverse()) {
      if (!layer.visible) continue;
      context.globalAlpha = layer.opacity / 100;
      context.drawImage(layer.canvas, 0, 0);
    }
    return canvas;
  }

  saveToOE(format) {
    if (format !== "png") throw new Error(`stand-in saves png only, not ${format}`);
    outputs.push(this.composite().convertToBlob({ type: "image/png" }).then((b) => b.arrayBuffer()));
  }
}

async function loadBitmap(url) {
  const response = await fetch(url, { mode: "cors" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return createImageBitmap(await response.blob());
}

const app = {
  documents: [],
  activeDocument: null,
  foregroundColor: new SolidColor(),
  open(url, as, asSmart) {
    // Photopea fetches and decodes after the script has finished.
    loadBitmap(url).then((bitmap) => {
      const name = decodeURIComponent(new URL(url).pathname.split("/").pop());
      let doc = app.activeDocument;
      if (!asSmart || !doc) {
        doc = new Document(name, bitmap.width, bitmap.height);
        app.documents.push(doc);
        app.activeDocument = doc;
      }
      const layer = doc.addLayer(name);
      layer.canvas.getContext("2d").drawImage(bitmap, 0, 0);
      show();
    }, (error) => record("error", `open ${url}: ${error.message}`));
  },
  echoToOE(value) {
    outputs.push(String(value));
  },
};

async function runScript(script) {
  await record("script", script);
  if (strayDone) {
    strayDone = false;
    window.parent.postMessage("done", "*");
  }
  try {
    new Function("app", "SolidColor", script)(app, SolidColor);
  } catch (error) {
    await record("error", `${error.name}: ${error.message}`);
  }
  const sent = outputs.splice(0);
  for (const output of sent) window.parent.postMessage(await output, "*");
  window.parent.postMessage("done", "*");
  show();
}

let running = Promise.resolve();
window.addEventListener("message", (event) => {
  if (event.source !== window.parent || typeof event.data !== "string") return;
  running = running.then(() => runScript(event.data));
});

function show() {
  const doc = app.activeDocument;
  const list = document.getElementById("layers");
  list.replaceChildren(...(doc ? doc.layers : []).map((l) => {
    const row = document.createElement("div");
    row.textContent = `${l.visible ? "●" : "○"} ${l.name}`;
    return row;
  }));
  if (!doc) return;
  const view = document.getElementById("view");
  view.width = doc.width;
  view.height = doc.height;
  view.getContext("2d").drawImage(doc.composite(), 0, 0);
}

function layerNamed(name) {
  const layer = app.activeDocument?.layers.find((l) => l.name === name);
  if (!layer) throw new Error(`no layer ${name}`);
  return layer;
}

window.standin = {
  /** A brush stroke: a filled disc (anti-aliased edge) in the brush colour. */
  paint(layerName, x, y, radius, colour = null) {
    const c = app.foregroundColor.rgb;
    const [r, g, b] = colour ?? [c.red, c.green, c.blue];
    const context = layerNamed(layerName).canvas.getContext("2d");
    context.fillStyle = `rgb(${r}, ${g}, ${b})`;
    context.beginPath();
    context.arc(x, y, radius, 0, 2 * Math.PI);
    context.fill();
    show();
  },
  /** A layer made in Photopea's own UI, bypassing the page. */
  addLayer(name) {
    app.activeDocument.addLayer(name);
    show();
  },
  /** Precede the next script's answer with a "done" that answers nothing. */
  strayDoneNext() {
    strayDone = true;
  },
  setForeground([r, g, b]) {
    Object.assign(app.foregroundColor.rgb, { red: r, green: g, blue: b });
  },
  state() {
    const doc = app.activeDocument;
    const c = app.foregroundColor.rgb;
    return {
      documents: app.documents.length,
      width: doc?.width ?? 0,
      height: doc?.height ?? 0,
      layers: (doc?.layers ?? []).map((l) => ({ name: l.name, visible: l.visible, opacity: l.opacity })),
      foreground: [c.red, c.green, c.blue],
    };
  },
};

const config = location.hash.length > 1 ? JSON.parse(decodeURI(location.hash.slice(1))) : {};
record("config", config).then(() => {
  window.parent.postMessage("done", "*");
  for (const url of config.files ?? []) app.open(url);
});
