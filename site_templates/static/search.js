// In-browser search of the digest with Pagefind (https://pagefind.app).
//
// The index is split in shards (one per finished day, one per hour of the day going on, so
// a refresh re-indexes little); the first shard's pagefind.js is loaded and the others are
// merged into it.
// Everything that comes from a post (names, excerpts, talk titles) is inserted as text,
// never as HTML: Pagefind's excerpts are built from the raw page text.

const app = document.getElementById("search-app");
const form = document.getElementById("search-form");
const input = document.getElementById("q");
const statusEl = document.getElementById("status");
const resultsEl = document.getElementById("results");
const filtersEl = document.getElementById("filters");
const moreBtn = document.getElementById("more");

const root = new URL("../", import.meta.url);
const shards = JSON.parse(app.dataset.shards || "[]");
const PAGE = 20;

let pagefind = null;
let results = [];
let shown = 0;
let generation = 0;
let timer = null;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function say(text) {
  statusEl.textContent = text;
}

// Pagefind marks matches with <mark>…</mark> and escapes only < and > of the page text.
function excerptNode(excerpt) {
  const p = el("p", "excerpt");
  let marked = false;
  for (const part of String(excerpt || "").split(/(<mark>|<\/mark>)/)) {
    if (part === "<mark>") { marked = true; continue; }
    if (part === "</mark>") { marked = false; continue; }
    const text = part.replace(/&lt;/g, "<").replace(/&gt;/g, ">");
    p.appendChild(marked ? el("mark", null, text) : document.createTextNode(text));
  }
  return p;
}

function selectedFilters() {
  const chosen = {};
  for (const box of filtersEl.querySelectorAll("input[type=checkbox]:checked")) {
    (chosen[box.name] = chosen[box.name] || []).push(box.value);
  }
  const filters = {};
  for (const [name, values] of Object.entries(chosen)) filters[name] = { any: values };
  return filters;
}

async function renderMore() {
  const mine = generation;
  const batch = results.slice(shown, shown + PAGE);
  const data = await Promise.all(batch.map((r) => r.data()));
  if (mine !== generation) return;
  for (const d of data) {
    const url = String(d.url || "");
    if (!url.startsWith(root.pathname)) continue; // only pages of this site
    const li = el("li", "result");
    const head = el("a", "r-title");
    head.href = url;
    head.textContent = `${d.meta.author || "Someone"} · ${d.meta.when || ""}`;
    li.appendChild(head);
    const facts = el("p", "r-facts");
    for (const name of ["kind", "source", "talk"]) {
      for (const value of (d.filters && d.filters[name]) || []) {
        if (name === "kind" && value === "Other") continue;
        const kind = name === "kind" ? ` kind-${value.toLowerCase().replace(/[^a-z]/g, "")}` : "";
        facts.appendChild(el("span", `badge r-${name}${kind}`, value));
      }
    }
    li.appendChild(facts);
    if (d.meta.cw) {
      const details = el("details", "cw");
      const summary = el("summary");
      summary.appendChild(el("span", "cw-label", "Content warning:"));
      summary.appendChild(document.createTextNode(" " + d.meta.cw));
      details.appendChild(summary);
      details.appendChild(excerptNode(d.excerpt));
      li.appendChild(details);
    } else {
      li.appendChild(excerptNode(d.excerpt));
    }
    resultsEl.appendChild(li);
  }
  shown += batch.length;
  moreBtn.hidden = shown >= results.length;
}

async function run() {
  const mine = ++generation;
  const query = input.value.trim();
  const filters = selectedFilters();
  const url = new URL(window.location.href);
  if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
  history.replaceState(null, "", url);
  if (!query && !Object.keys(filters).length) {
    resultsEl.textContent = "";
    moreBtn.hidden = true;
    say("Type a word or pick a filter.");
    return;
  }
  say("Searching…");
  const search = await pagefind.search(query || null, { filters });
  if (mine !== generation || !search) return;
  results = search.results;
  shown = 0;
  resultsEl.textContent = "";
  await renderMore();
  if (mine !== generation) return;
  say(results.length === 1 ? "1 post found." : `${results.length.toLocaleString("en")} posts found.`);
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(() => run().catch(fail), 100);
}

function fail(error) {
  app.hidden = false;
  say(`Search is not available here: ${error && error.message ? error.message : error}`);
}

async function start() {
  if (!shards.length) {
    app.hidden = false;
    return;
  }
  say("Loading the search index…");
  pagefind = await import(new URL(shards[0] + "pagefind.js", root).href);
  await pagefind.options({ baseUrl: root.pathname, excerptLength: 28 });
  for (const shard of shards.slice(1)) {
    await pagefind.mergeIndex(new URL(shard, root).pathname, { baseUrl: root.pathname });
  }
  await pagefind.init();
  // The filters are part of the page (written at build time). Pagefind's own filters() is
  // not called: once it has loaded a filter it counts it for every result of every search.
  form.addEventListener("submit", (event) => { event.preventDefault(); run().catch(fail); });
  input.addEventListener("input", schedule);
  filtersEl.addEventListener("change", schedule);
  moreBtn.addEventListener("click", () => renderMore().catch(fail));
  const q = new URL(window.location.href).searchParams.get("q");
  if (q) input.value = q;
  app.hidden = false;
  app.dataset.ready = "true";
  await run();
}

start().catch(fail);
