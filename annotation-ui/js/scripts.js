// Photopea scripts the page sends. Photopea runs them as JavaScript against its
// Photoshop-like object model (app.activeDocument.layers is top-first). Strings are
// embedded with JSON.stringify, so names and URLs cannot break out of the script.

export const BACKGROUND_LAYER = "Background";
export const OVERLAY_PREFIX = "overlay: ";
const OVERLAY_OPACITY = 60;

const q = (value) => JSON.stringify(value);

/** Echo {documents, width, height, layers: [{name, visible}]} as one JSON string. */
export function documentState() {
  return `(function () {
  var n = app.documents.length, out = {documents: n, width: 0, height: 0, layers: []};
  if (n) {
    var d = app.activeDocument;
    out.width = d.width; out.height = d.height;
    for (var i = 0; i < d.layers.length; i++)
      out.layers.push({name: d.layers[i].name, visible: d.layers[i].visible});
  }
  app.echoToOE(JSON.stringify(out));
})();`;
}

/** Name the bottom layer (the opened image) "Background". */
export function nameBackground() {
  return `(function () {
  var d = app.activeDocument;
  d.layers[d.layers.length - 1].name = ${q(BACKGROUND_LAYER)};
})();`;
}

/** Place an image as a new layer of the open document (it loads asynchronously). */
export function placeOverlay(url) {
  return `app.open(${q(url)}, null, true);`;
}

/** Name the layer just placed as an overlay, and let the scene show through it. */
export function nameOverlay(name) {
  return `(function () {
  var l = app.activeDocument.activeLayer;
  l.name = ${q(OVERLAY_PREFIX + name)};
  l.opacity = ${OVERLAY_OPACITY};
})();`;
}

/**
 * Add the next instance layer of a class, `<class>_<n>` with n one more than the
 * highest already in the document, and load the class colour into the brush.
 * Echoes the new layer's name. Doing both in one script means no layer exists
 * that is named for one class while the brush holds another's colour.
 */
export function addClassLayer(cls) {
  const [r, g, b] = cls.colour;
  return `(function () {
  var d = app.activeDocument, prefix = ${q(cls.name + "_")}, n = 0;
  for (var i = 0; i < d.layers.length; i++) {
    var name = d.layers[i].name;
    if (name.indexOf(prefix) === 0 && /^[0-9]+$/.test(name.slice(prefix.length)))
      n = Math.max(n, parseInt(name.slice(prefix.length), 10));
  }
  var layer = d.artLayers.add();
  layer.name = prefix + (n + 1);
  var c = new SolidColor();
  c.rgb.red = ${r}; c.rgb.green = ${g}; c.rgb.blue = ${b};
  app.foregroundColor = c;
  app.echoToOE(layer.name);
})();`;
}

/**
 * Show only layer `index` (expected to be named `name`) and send the document as
 * PNG: the document-sized image of that one layer, transparent elsewhere. Echoes
 * "ok" or "moved" when the layer at `index` is no longer `name`.
 */
export function exportLayer(index, name) {
  return `(function () {
  var ls = app.activeDocument.layers, target = ls[${index}];
  if (!target || target.name !== ${q(name)}) { app.echoToOE("moved"); return; }
  for (var i = 0; i < ls.length; i++) ls[i].visible = (i === ${index});
  app.activeDocument.saveToOE("png");
  app.echoToOE("ok");
})();`;
}

/** Put back the visibility flags that documentState() reported. */
export function restoreVisibility(layers) {
  return `(function () {
  var ls = app.activeDocument.layers, names = ${q(layers.map((l) => l.name))},
      visible = ${q(layers.map((l) => l.visible))};
  for (var i = 0; i < ls.length && i < names.length; i++)
    if (ls[i].name === names[i]) ls[i].visible = visible[i];
})();`;
}
