// The kernel's vocabulary (synced trait `vocabulary`): which job statuses exist, which are
// running and which are terminal, and the export flavours. The front end keeps no copies of
// these facts; with no vocabulary yet, nothing counts as running and no flavour is offered.

/**
 * @typedef {{id: string, label: string}} Flavour
 * @typedef {{statuses: string[], running: Set<string>, terminal: Set<string>,
 *            flavours: Flavour[]}} Vocabulary
 */

const strings = (value) => (Array.isArray(value) ? value.map(String) : []);

/**
 * Read the trait's raw value into sets and lists, ignoring anything malformed.
 * @returns {Vocabulary}
 */
export function readVocabulary(raw) {
  const value = raw && typeof raw === "object" ? raw : {};
  const flavours = Array.isArray(value.flavours)
    ? value.flavours
        .filter((f) => f && typeof f === "object" && f.id !== undefined && f.id !== null)
        .map((f) => ({ id: String(f.id), label: String(f.label ?? f.id) }))
    : [];
  return {
    statuses: strings(value.statuses),
    running: new Set(strings(value.running)),
    terminal: new Set(strings(value.terminal)),
    flavours,
  };
}

/** The display name of an export flavour ("curl" -> "cURL"), or the id itself. */
export function flavourLabel(vocabulary, id) {
  const found = vocabulary.flavours.find((f) => f.id === id);
  return found ? found.label : String(id ?? "");
}
