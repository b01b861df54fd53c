// Time zones for the wasm build. The module does not bundle the IANA time-zone database
// (about a fifth of its size); the build exports the bundled database of the native
// build as one file per zone (dist/tz/NAME, listed in dist/tz/index.json), and the page
// fetches only the zones a policy names. A zone built from those bytes is the zone the
// native build uses, so decisions stay byte-identical (docs/simulator.md, "Time zones").

/**
 * A supplier of zones to the wasm package `wasm` (its `missingZones` and `addZone`).
 * `load(path)` answers the bytes of a file under tz/ (`index.json`, `Europe/Berlin`) or
 * null; in the page it fetches, in Node it reads web/dist/tz.
 */
export function zoneSupplier(wasm, load) {
  let index = null;
  const canonical = async (name) => {
    if (!index) {
      const bytes = await load("index.json");
      const zones = bytes ? JSON.parse(new TextDecoder().decode(bytes)).zones : [];
      // IANA names match without regard to ASCII case, as in the native build.
      index = new Map(zones.map((zone) => [zone.toLowerCase(), zone]));
    }
    return index.get(name.toLowerCase());
  };
  /**
   * Adds the zones that compiles asked for since the last call and did not find. Resolves
   * to true when it added one: compile again. A name not in the index stays an unknown
   * time zone, reported as the native build reports it.
   */
  return async function supply() {
    let added = false;
    for (const name of wasm.missingZones()) {
      const zone = await canonical(name);
      const bytes = zone && (await load(zone));
      if (bytes && wasm.addZone(zone, bytes)) added = true;
    }
    return added;
  };
}

/** Loads files of dist/tz over HTTP, beside the page. */
export function fetchZoneFile(base) {
  return async (path) => {
    try {
      const response = await fetch(new URL(`tz/${path}`, base));
      return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
    } catch {
      return null; // the zone stays unknown, reported as such
    }
  };
}
