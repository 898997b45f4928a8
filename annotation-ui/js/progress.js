// Annotation progress per scene, kept in the browser (localStorage), one record
// set per manifest so that two campaigns on the same host do not mix.

const PREFIX = "cerulean-annotation:";

export class Progress {
  /**
   * @param {Storage} storage usually window.localStorage
   * @param {string} manifestUrl absolute URL of the manifest the scenes come from
   */
  constructor(storage, manifestUrl) {
    this.storage = storage;
    this.key = PREFIX + manifestUrl;
    this.records = this.#load();
  }

  #load() {
    try {
      const parsed = JSON.parse(this.storage.getItem(this.key) ?? "{}");
      return parsed && typeof parsed === "object" ? parsed : {};
    } catch {
      return {};
    }
  }

  /** Record of a scene key: {state: "opened"|"exported", layers?, at} or undefined. */
  get(sceneKey) {
    return this.records[sceneKey];
  }

  markOpened(sceneKey) {
    // Opening again never hides that a scene was exported before.
    const previous = this.records[sceneKey];
    if (previous?.state === "exported") return;
    this.#set(sceneKey, { state: "opened", at: new Date().toISOString() });
  }

  markExported(sceneKey, layers) {
    this.#set(sceneKey, { state: "exported", layers, at: new Date().toISOString() });
  }

  /** Number of the given scene keys that were exported. */
  exportedCount(sceneKeys) {
    return sceneKeys.filter((k) => this.records[k]?.state === "exported").length;
  }

  #set(sceneKey, record) {
    this.records[sceneKey] = record;
    this.storage.setItem(this.key, JSON.stringify(this.records));
  }
}
