// The annotators' page: scene list, Photopea, class palette, layer check, export.

import { classifyLayers, inspectPng, layerWarnings } from "./layercheck.js";
import { loadConfig, loadManifest } from "./manifest.js";
import { Photopea } from "./photopea.js";
import { Progress } from "./progress.js";
import * as scripts from "./scripts.js";
import { zipStore } from "./zip.js";

const ENVIRONMENT = { intro: false };
const LOAD_TIMEOUT_MS = 120000;

const $ = (id) => document.getElementById(id);

const state = {
  classes: [],
  scenes: [],
  progress: null,
  photopea: null,
  current: null,
  // Layers were added since the scene was opened or last exported.
  dirty: false,
  busy: false,
};

function setStatus(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
  status.setAttribute("role", isError ? "alert" : "status");
}

function rgb(colour) {
  return `rgb(${colour.join(", ")})`;
}

/** "S1A 2020-08-02 14:16:46 UTC" from the product id (start time at characters 17–32). */
function describeScene(sceneId) {
  const t = sceneId.slice(17, 32);
  if (!/^\d{8}T\d{6}$/.test(t)) return sceneId;
  const when = `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)} ${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}`;
  return `${sceneId.slice(0, 3)} ${when} UTC`;
}

function renderScenes() {
  const list = $("scenes");
  list.replaceChildren();
  for (const [index, scene] of state.scenes.entries()) {
    const record = state.progress.get(scene.key);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "scene";
    button.dataset.key = scene.key;
    button.dataset.state = record?.state ?? "new";
    button.title = scene.sceneId;
    button.setAttribute("aria-current", String(state.current === scene));
    const badge = document.createElement("span");
    badge.className = `badge ${record?.state ?? "new"}`;
    badge.textContent = record?.state === "exported"
      ? `exported · ${record.layers} layer${record.layers === 1 ? "" : "s"}`
      : record?.state ?? "new";
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = describeScene(scene.sceneId);
    const folder = document.createElement("span");
    folder.className = "folder";
    folder.textContent = scene.classFolder;
    button.append(badge, when, folder);
    button.setAttribute("aria-label", `${scene.sceneId}, ${scene.classFolder}, ${badge.textContent}`);
    button.addEventListener("click", () => openScene(index));
    const item = document.createElement("li");
    item.append(button);
    list.append(item);
  }
  const keys = state.scenes.map((s) => s.key);
  $("summary").textContent = `${state.progress.exportedCount(keys)} of ${keys.length} scenes exported`;
}

function renderPalette() {
  const palette = $("palette");
  palette.replaceChildren();
  for (const cls of state.classes) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "class-button";
    button.dataset.classId = String(cls.id);
    button.dataset.className = cls.name;
    button.dataset.colour = cls.colour.join(",");
    button.disabled = true;
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = rgb(cls.colour);
    const label = document.createElement("span");
    label.textContent = cls.name;
    button.append(swatch, label);
    const key = classKey(cls);
    if (key) {
      const kbd = document.createElement("kbd");
      kbd.textContent = key;
      button.append(kbd);
      button.setAttribute("aria-keyshortcuts", key);
    }
    button.setAttribute("aria-label", `New ${cls.name} layer, colour ${cls.colour.join(" ")}`);
    button.addEventListener("click", () => addLayer(cls));
    palette.append(button);
  }
}

function classKey(cls) {
  return cls.id >= 0 && cls.id <= 9 ? String(cls.id) : null;
}

function shortcuts() {
  const map = new Map();
  for (const cls of state.classes) {
    const key = classKey(cls);
    if (key) map.set(key, { label: `new ${cls.name} layer`, run: () => addLayer(cls) });
  }
  map.set("k", { label: "check layers", run: checkLayers });
  map.set("e", { label: "export scene", run: exportScene });
  map.set("[", { label: "previous scene", run: () => stepScene(-1) });
  map.set("]", { label: "next scene", run: () => stepScene(1) });
  return map;
}

function renderShortcuts(map) {
  const list = $("shortcuts");
  list.replaceChildren();
  for (const [key, { label }] of map) {
    const dt = document.createElement("dt");
    const kbd = document.createElement("kbd");
    kbd.textContent = key.toUpperCase();
    dt.append(kbd);
    const dd = document.createElement("dd");
    dd.textContent = label;
    list.append(dt, dd);
  }
  $("check").setAttribute("aria-keyshortcuts", "K");
  $("export").setAttribute("aria-keyshortcuts", "E");
}

function setBusy(busy) {
  state.busy = busy;
  const ready = !busy && state.current !== null;
  for (const button of document.querySelectorAll("#palette button, .actions button")) {
    button.disabled = !ready;
  }
  for (const button of document.querySelectorAll(".scene")) button.disabled = busy;
}

/** Run `task` with the tools disabled; errors go to the status line. */
async function exclusive(task) {
  if (state.busy) return;
  setBusy(true);
  try {
    await task();
  } catch (error) {
    setStatus(error.message, true);
  } finally {
    setBusy(false);
  }
}

function openScene(index) {
  const scene = state.scenes[index];
  if (!scene) return;
  if (state.dirty && state.current && !window.confirm(
    `Layers were added to ${state.current.sceneId} since its last export. ` +
      `Open ${scene.sceneId} anyway? Unexported work in Photopea is lost.`,
  )) return;
  return exclusive(async () => {
    setStatus(`Opening ${scene.sceneId}…`);
    state.current = null;
    $("warnings").replaceChildren();
    const pp = state.photopea;
    await pp.start({ files: [scene.background], environment: ENVIRONMENT }, LOAD_TIMEOUT_MS);
    // Photopea loads the files of its configuration after it has started.
    let doc = await pp.poll(scripts.documentState(), (s) => s.documents > 0,
      LOAD_TIMEOUT_MS, `${scene.background} to load`);
    await pp.run(scripts.nameBackground());
    for (const overlay of scene.overlays) {
      const before = doc.layers.length;
      await pp.run(scripts.placeOverlay(overlay.url));
      doc = await pp.poll(scripts.documentState(), (s) => s.layers.length > before,
        LOAD_TIMEOUT_MS, `overlay ${overlay.name} to load`);
      await pp.run(scripts.nameOverlay(overlay.name));
    }
    state.current = scene;
    state.dirty = false;
    state.progress.markOpened(scene.key);
    renderScenes();
    const overlays = scene.overlays.length ? ` with ${scene.overlays.map((o) => o.name).join(", ")}` : "";
    setStatus(`${scene.sceneId} open (${doc.width}×${doc.height} px)${overlays}. Pick a class to start a layer.`);
  });
}

function stepScene(step) {
  const at = state.current ? state.scenes.indexOf(state.current) : -1;
  const next = Math.min(Math.max(at + step, 0), state.scenes.length - 1);
  if (next !== at) openScene(next);
}

function addLayer(cls) {
  if (!state.current) return;
  return exclusive(async () => {
    const { echoes } = await state.photopea.run(scripts.addClassLayer(cls));
    state.dirty = true;
    const name = echoes.at(-1);
    if (!name) throw new Error(`Photopea did not report the new ${cls.name} layer`);
    setStatus(`New layer ${name}: paint one ${cls.name} slick in it.`);
  });
}

/**
 * Send every layer except background and overlays out of Photopea one at a time
 * and inspect its pixels. Returns the instance layers (with PNG bytes and warnings)
 * and the layers that will not be exported.
 */
async function collectLayers() {
  const pp = state.photopea;
  const doc = await pp.poll(scripts.documentState(), (s) => s.documents > 0, 10000, "the document");
  const { instances, ignored } = classifyLayers(doc.layers, state.classes);
  const layers = [];
  const skipped = [];
  try {
    for (const layer of [...instances, ...ignored]) {
      const { echoes, buffers } = await pp.run(scripts.exportLayer(layer.index, layer.name), LOAD_TIMEOUT_MS);
      if (echoes.at(-1) !== "ok" || buffers.length !== 1) {
        throw new Error(`layer ${layer.name} changed while exporting; try again`);
      }
      const stats = await inspectPng(buffers[0], state.classes);
      if (stats.width !== doc.width || stats.height !== doc.height) {
        throw new Error(`layer ${layer.name} came out ${stats.width}×${stats.height}, not ${doc.width}×${doc.height}`);
      }
      if (layer.cls) {
        const warnings = layerWarnings(layer, stats, state.classes);
        layers.push({ ...layer, png: new Uint8Array(buffers[0]), stats, warnings });
      } else if (stats.painted > 0) {
        // Empty stray layers (made and never used) are harmless; painted ones are not.
        skipped.push(layer);
      }
    }
  } finally {
    await pp.run(scripts.restoreVisibility(doc.layers));
  }
  return { layers, skipped };
}

function renderWarnings({ layers, skipped }) {
  const list = $("warnings");
  list.replaceChildren();
  const add = (name, text, warn) => {
    const item = document.createElement("li");
    item.className = warn ? "warn" : "ok";
    item.dataset.layer = name;
    const strong = document.createElement("strong");
    strong.textContent = name;
    item.append(strong, `: ${text}`);
    list.append(item);
  };
  for (const layer of layers) {
    for (const text of layer.warnings) add(layer.name, text, true);
  }
  for (const layer of skipped) add(layer.name, layer.reason, true);
  const flagged = list.children.length;
  const good = layers.filter((l) => l.warnings.length === 0).length;
  const summary = document.createElement("li");
  summary.className = "summary";
  summary.textContent = `${good} layer${good === 1 ? "" : "s"} carry their class colour; ${flagged} warning${flagged === 1 ? "" : "s"}.`;
  list.prepend(summary);
  return flagged;
}

function checkLayers() {
  if (!state.current) return;
  return exclusive(async () => {
    setStatus("Checking layers…");
    const flagged = renderWarnings(await collectLayers());
    setStatus(flagged ? `Layer check: ${flagged} warning(s), listed on the right.` : "Layer check: all good.");
  });
}

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function exportScene() {
  const scene = state.current;
  if (!scene) return;
  return exclusive(async () => {
    setStatus("Exporting layers…");
    const collected = await collectLayers();
    renderWarnings(collected);
    const painted = collected.layers.filter((l) => l.stats.painted > 0);
    const worrying = painted.filter((l) => l.warnings.length).length + collected.skipped.length;
    if (worrying && !window.confirm(`${worrying} layer(s) have warnings (listed on the page). Export anyway?`)) {
      setStatus("Export cancelled.");
      return;
    }
    if (painted.length === 0) throw new Error("Nothing to export: no instance layer has paint.");
    // The layout a scene root holds: unzip into the root that cerulean-tiling reads.
    const folder = `${scene.classFolder}/${scene.sceneId}/`;
    const entries = [{ name: `${folder}Background.png`, data: await fetchBytes(scene.background) }];
    if (scene.gcps) entries.push({ name: `${folder}gcps.json`, data: await fetchBytes(scene.gcps) });
    for (const layer of painted) entries.push({ name: `${folder}${layer.name}.png`, data: layer.png });
    download(zipStore(entries), `${scene.sceneId}.zip`);
    state.progress.markExported(scene.key, painted.length);
    state.dirty = false;
    renderScenes();
    setStatus(`Exported ${scene.sceneId}.zip: ${painted.length} layer(s). Unzip it into the scene root.`);
  });
}

function onKey(event, map) {
  if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
  if (event.target instanceof Element && event.target.closest("input, textarea, select")) return;
  const action = map.get(event.key.toLowerCase());
  if (!action) return;
  event.preventDefault();
  action.run();
}

async function start() {
  try {
    const config = await loadConfig(window.location.href);
    const manifest = await loadManifest(config.manifestUrl);
    state.classes = manifest.classes;
    state.scenes = manifest.scenes;
    state.progress = new Progress(window.localStorage, config.manifestUrl);
    state.photopea = new Photopea($("editor"), config.photopeaOrigin);
    renderPalette();
    renderScenes();
    const map = shortcuts();
    renderShortcuts(map);
    document.addEventListener("keydown", (event) => onKey(event, map));
    $("check").addEventListener("click", checkLayers);
    $("export").addEventListener("click", exportScene);
    document.body.dataset.ready = "true";
    setStatus(`${state.scenes.length} scenes. Choose one to open it in Photopea.`);
  } catch (error) {
    document.body.dataset.ready = "error";
    setStatus(error.message, true);
  }
}

start();
