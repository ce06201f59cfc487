// Adds lock entries for platform-specific optional packages that the local registry mirror lacks.
import fs from "node:fs";
const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
const pk = lock.packages;
let added = 0;
for (const [path, meta] of Object.entries(pk)) {
  for (const [dep, ver] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (pk[key] || dep === "fsevents") continue;
    const m = /rollup-(android|darwin|freebsd|linux|openbsd|openharmony|win32)-([a-z0-9]+)(?:-(gnu|musl|gnueabihf|musleabihf|msvc|eabi))?$/.exec(dep);
    if (!m) { console.error("unknown", dep); continue; }
    const [, os, cpuRaw, abi] = m;
    const cpu = cpuRaw === "arm" ? "arm" : cpuRaw;
    const entry = { version: ver, cpu: [cpu], dev: meta.dev ?? false, license: "MIT", optional: true, os: [os] };
    if (abi === "gnu" || abi === "gnueabihf") entry.libc = ["glibc"];
    if (abi === "musl" || abi === "musleabihf") entry.libc = ["musl"];
    if (!entry.dev) delete entry.dev;
    pk[key] = entry; added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pk).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
fs.writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n");
console.log("added", added);
