// Which layers of the document are instances, and whether their pixels carry the
// colour of their class. The tiler decides a pixel's class by its exact RGB where
// alpha > 0 (brush edges keep the class RGB with partial alpha), so that is what
// is checked here.

import { BACKGROUND_LAYER, OVERLAY_PREFIX } from "./scripts.js";

/** Share of painted pixels off the palette above which a layer is reported. */
const OFF_PALETTE_TOLERANCE = 0.01;

/**
 * Sort the document's layers (top-first, as Photopea lists them).
 * @returns {{instances: {index, name, cls}[], ignored: {index, name, reason}[]}}
 */
export function classifyLayers(layers, classes) {
  const byName = new Map(classes.map((c) => [c.name, c]));
  const pattern = /^([a-z][a-z0-9_]*)_([0-9]+)$/;
  const instances = [];
  const ignored = [];
  const seen = new Set();
  layers.forEach(({ name }, index) => {
    if (name === BACKGROUND_LAYER || name.startsWith(OVERLAY_PREFIX)) return;
    const match = pattern.exec(name);
    const cls = match && byName.get(match[1]);
    if (!cls) {
      ignored.push({ index, name, reason: "not named <class>_<n>; it will not be exported" });
    } else if (seen.has(name)) {
      ignored.push({ index, name, reason: "a second layer with this name; it will not be exported" });
    } else {
      seen.add(name);
      instances.push({ index, name, cls });
    }
  });
  return { instances, ignored };
}

/**
 * Count a PNG's painted pixels (alpha > 0) per class colour.
 * @returns {Promise<{width, height, painted: number, perClass: Map<number, number>, offPalette: number}>}
 */
export async function inspectPng(buffer, classes) {
  const bitmap = await createImageBitmap(new Blob([buffer], { type: "image/png" }), {
    premultiplyAlpha: "none",
    colorSpaceConversion: "none",
  });
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const pixels = context.getImageData(0, 0, width, height).data;
  const idByColour = new Map(classes.map((c) => [(c.colour[0] << 16) | (c.colour[1] << 8) | c.colour[2], c.id]));
  const perClass = new Map();
  let painted = 0;
  let offPalette = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] === 0) continue;
    painted++;
    const id = idByColour.get((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
    if (id === undefined) offPalette++;
    else perClass.set(id, (perClass.get(id) ?? 0) + 1);
  }
  return { width, height, painted, perClass, offPalette };
}

/** Warnings (strings) about one instance layer; none when it is fine to export. */
export function layerWarnings(instance, stats, classes) {
  if (stats.painted === 0) return ["nothing painted; it will not be exported"];
  if (stats.perClass.size === 0) return ["its pixels carry no class colour (was the brush colour changed?)"];
  const warnings = [];
  const [dominant] = [...stats.perClass.entries()].sort((a, b) => b[1] - a[1])[0];
  if (dominant !== instance.cls.id) {
    const painted = classes.find((c) => c.id === dominant);
    warnings.push(`painted in the ${painted.name} colour, but named ${instance.cls.name}`);
  }
  const share = stats.offPalette / stats.painted;
  if (share > OFF_PALETTE_TOLERANCE) {
    warnings.push(`${(100 * share).toFixed(1)}% of its pixels carry no class colour`);
  }
  return warnings;
}
