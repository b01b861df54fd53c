// Reads wasm-pack.toml: the small TOML subset it uses (sections, strings, integers,
// booleans, arrays of strings, comments). Anything else is an error, not a guess.
import { readFileSync } from "node:fs";

export function parseConfig(text, file = "wasm-pack.toml") {
  const config = {};
  let section = config;
  text.split("\n").forEach((raw, index) => {
    const line = stripComment(raw).trim();
    if (line === "") return;
    const where = `${file}:${index + 1}`;
    const header = /^\[([A-Za-z0-9_-]+)\]$/.exec(line);
    if (header) {
      section = config[header[1]] = config[header[1]] ?? {};
      return;
    }
    const pair = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line);
    if (!pair) throw new Error(`${where}: cannot read \`${raw.trim()}\``);
    if (pair[1] in section) throw new Error(`${where}: \`${pair[1]}\` is declared twice`);
    section[pair[1]] = value(pair[2], where);
  });
  return config;
}

function stripComment(line) {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"' && line[i - 1] !== "\\") quoted = !quoted;
    if (line[i] === "#" && !quoted) return line.slice(0, i);
  }
  return line;
}

function value(text, where) {
  const t = text.trim();
  if (t.startsWith("[")) {
    if (!t.endsWith("]")) throw new Error(`${where}: an array must close on its line`);
    const inner = t.slice(1, -1).trim();
    return inner === "" ? [] : inner.split(",").map((v) => v.trim()).filter((v) => v !== "").map((v) => value(v, where));
  }
  if (/^"([^"\\]|\\.)*"$/.test(t)) return JSON.parse(t);
  if (/^-?\d+$/.test(t)) return Number(t);
  if (t === "true" || t === "false") return t === "true";
  throw new Error(`${where}: unsupported value \`${t}\``);
}

export function readConfig(file) {
  const config = parseConfig(readFileSync(file, "utf8"), file);
  for (const [section, keys] of Object.entries({
    build: ["crate", "profile", "target", "out_dir", "out_name"],
    optimize: ["wasm_opt"],
    budget: ["gzip_kb", "enforce"],
  })) {
    for (const key of keys) {
      if (config[section]?.[key] === undefined) throw new Error(`${file}: missing [${section}] ${key}`);
    }
  }
  return config;
}
