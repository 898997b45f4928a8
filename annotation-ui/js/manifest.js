// Loading the page's configuration and the scene manifest written by
// `cerulean-tiling annotation-manifest`.

const DEFAULT_PHOTOPEA = "https://www.photopea.com";

/**
 * Read config.json next to the page. `?manifest=URL` overrides the manifest so one
 * deployment can serve several campaigns; the Photopea origin comes only from
 * config.json, since it receives every annotation.
 * @returns {Promise<{photopeaOrigin: string, manifestUrl: string}>}
 */
export async function loadConfig(pageUrl) {
  const configUrl = new URL("config.json", pageUrl);
  const response = await fetch(configUrl, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${configUrl}: HTTP ${response.status}`);
  const config = await response.json();
  const origin = new URL(config.photopeaOrigin ?? DEFAULT_PHOTOPEA).origin;
  const requested = new URL(pageUrl).searchParams.get("manifest");
  const manifestUrl = new URL(requested ?? config.manifest ?? "manifest.json", pageUrl).href;
  return { photopeaOrigin: origin, manifestUrl };
}

function check(condition, manifestUrl, message) {
  if (!condition) throw new Error(`${manifestUrl}: ${message}`);
}

/**
 * Fetch and validate the manifest; URLs in it are resolved against its own URL.
 * @returns {Promise<{classes: {id: number, name: string, colour: number[]}[], scenes: object[]}>}
 */
export async function loadManifest(manifestUrl) {
  const response = await fetch(manifestUrl, { cache: "no-cache" });
  check(response.ok, manifestUrl, `HTTP ${response.status}`);
  let data;
  try {
    data = await response.json();
  } catch {
    throw new Error(`${manifestUrl}: not JSON`);
  }
  check(data.format_version === 1, manifestUrl, "unsupported format_version (expected 1)");
  check(
    Array.isArray(data.classes) && data.classes.length > 0,
    manifestUrl,
    "no class table; rebuild it with `cerulean-tiling annotation-manifest`",
  );
  for (const c of data.classes) {
    check(
      Number.isInteger(c.id) && /^[a-z][a-z0-9_]*$/.test(c.name) &&
        Array.isArray(c.colour) && c.colour.length === 3 &&
        c.colour.every((v) => Number.isInteger(v) && v >= 0 && v <= 255),
      manifestUrl,
      `malformed class ${JSON.stringify(c)}`,
    );
  }
  check(Array.isArray(data.scenes), manifestUrl, "no scenes list");
  const resolve = (url) => new URL(url, manifestUrl).href;
  const scenes = data.scenes.map((s, i) => {
    check(typeof s.scene_id === "string" && typeof s.background === "string", manifestUrl,
      `scene ${i} lacks scene_id or background`);
    const classFolder = s.class_folder ?? "unsorted";
    return {
      key: `${classFolder}/${s.scene_id}`,
      sceneId: s.scene_id,
      classFolder,
      background: resolve(s.background),
      gcps: s.gcps ? resolve(s.gcps) : null,
      overlays: (s.overlays ?? []).map((o) => ({ name: String(o.name), url: resolve(o.url) })),
      properties: s.properties ?? {},
    };
  });
  return { classes: data.classes, scenes };
}
