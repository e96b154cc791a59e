// Bundles entry.js (Vue + ODK Web Forms) into one folder of static ES modules, with
// nothing fetched from another host at run time: the map's OpenStreetMap tiles are
// replaced by a blank tile, since a field hub has no Internet. Two small changes to the
// published files, each checked to apply exactly: that tile, and a hook on the form's
// state (below). Writes the licences of every package that ends up in the bundle.
// Usage: node build.mjs <output folder>
import { build } from "esbuild";
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";

const out = process.argv[2];
if (!out) throw new Error("usage: node build.mjs <output folder>");

const OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
const BLANK_TILE =
  "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
// The host page follows the form's state (to keep the answers while they are entered,
// and to say in plain words when a form cannot be loaded): the component hands its
// state to a function the page may set, globalThis.__jaringOnFormState.
const FORM_STATE = "const gA = initializeFormState(),";
const FORM_STATE_HOOK =
  "const gA = ((state) => (globalThis.__jaringOnFormState?.(state), state))(initializeFormState()),";
let replaced = 0;
let hooked = 0;

const offline = {
  name: "offline",
  setup(b) {
    b.onLoad({ filter: /@getodk[\\/]web-forms[\\/]dist[\\/].*\.js$/ }, (args) => {
      let text = readFileSync(args.path, "utf8");
      if (text.includes(OSM_TILES)) {
        text = text.split(OSM_TILES).join(BLANK_TILE);
        replaced += 1;
      }
      if (text.includes(FORM_STATE)) {
        text = text.split(FORM_STATE).join(FORM_STATE_HOOK);
        hooked += 1;
      }
      return { contents: text, loader: "js" };
    });
  },
};

const result = await build({
  entryPoints: { "web-forms": "entry.js" },
  bundle: true,
  format: "esm",
  splitting: true,
  minify: true,
  target: "es2022",
  outdir: out,
  chunkNames: "chunk-[hash]",
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  define: {
    "process.env.NODE_ENV": '"production"',
    __VUE_OPTIONS_API__: "true",
    __VUE_PROD_DEVTOOLS__: "false",
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: "false",
  },
  plugins: [offline],
});
if (replaced === 0) throw new Error("the OpenStreetMap tile address was not found: check the map");
if (hooked !== 1) throw new Error("the form state was not found in OdkWebForm: check the hook");

// The licences: of every package installed for the bundle (the production dependency
// tree; esbuild only builds it), and a note on what the Web Forms build itself inlines.
const tree = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], {
  encoding: "utf8",
});
const dirs = [...new Set(tree.split("\n").filter((d) => d.includes("node_modules")))].sort();
const sections = [];
for (const dir of dirs) {
  const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const files = readdirSync(dir).filter((f) => /^(licen[cs]e|copying|notice)/i.test(f));
  let text = files.map((f) => readFileSync(join(dir, f), "utf8").trim()).join("\n\n");
  if (!text && meta.license === "Apache-2.0") {
    text = readFileSync("/usr/share/common-licenses/Apache-2.0", "utf8").trim();
  }
  if (!text) text = `(the package ships no licence file; its package.json says ${meta.license})`;
  const rule = "=".repeat(78);
  sections.push(`${rule}\n${meta.name} ${meta.version} (${meta.license})\n${rule}\n\n${text}\n`);
}
const inlined = JSON.parse(readFileSync("node_modules/@getodk/web-forms/package.json", "utf8"));
const pinned = (name) => `${name} ${inlined.devDependencies[name]}`;
writeFileSync(
  join(out, "LICENCES.txt"),
  "ODK Web Forms and Vue, bundled by scripts/build-web-forms into web-forms.js and its\n" +
    "chunks, with the licences of the packages they contain.\n\n" +
    `@getodk/web-forms ${inlined.version} is published already built: besides the packages\n` +
    "below, its files contain " +
    [pinned("@getodk/xforms-engine") + " (Apache-2.0, with web-tree-sitter, MIT)",
     pinned("primevue") + " (MIT)", pinned("@primeuix/themes") + " (MIT)",
     pinned("primeflex") + " (MIT)",
     "the Roboto font from " + pinned("@fontsource/roboto") + " (SIL Open Font License 1.1)"]
      .join(", ") +
    ", all from https://github.com/getodk/web-forms.\n\n" +
    sections.join("\n"),
);
console.error(`Bundled into ${out}, with the licences of ${dirs.length} packages.`);
