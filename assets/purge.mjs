// Purges Bootstrap's CSS down to the rules whose classes appear in the site's templates, scripts and code.
// Run by assets/build.py (`make assets`), which passes on standard input, as JSON:
//   {"content": [file, ...], "safelist": [class or "/regex/", ...], "jobs": [{"css": in, "out": out}, ...]}
// The app never runs this: its output (static/dist/) is committed.
import { readFileSync, writeFileSync } from "node:fs";
import { PurgeCSS } from "purgecss";

const request = JSON.parse(readFileSync(0, "utf8"));
const patterns = request.safelist.filter((entry) => entry.startsWith("/")).map((entry) => new RegExp(entry.slice(1, -1)));
const names = request.safelist.filter((entry) => !entry.startsWith("/"));

for (const job of request.jobs) {
  const [result] = await new PurgeCSS().purge({
    content: request.content,
    css: [job.css],
    safelist: { standard: [...names, ...patterns] },
    // Custom properties are tiny and read by other rules and by markaz.css: keep them all.
    variables: false,
    keyframes: true,
    fontFace: false,
  });
  writeFileSync(job.out, result.css);
}
