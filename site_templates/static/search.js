// In-browser search of the digest, over the static index the build writes in search/i/
// (backchannel/digest/search_index.py describes its files). A query loads the word lists of
// its words (one small bucket file each, or a common word's own list straight away), intersects them,
// filters and counts on columns loaded with the page, ranks by the build's rank column and
// loads only the result files it shows. Nothing leaves this site; no server side.
//
// The query and the chosen filters live in the address (?q=…&kind=Question&day=…): reload
// keeps them, a link shares them, back and forward step through them.
// Everything that comes from a post (names, texts, talk titles) is inserted as text, never
// as HTML.

const app = document.getElementById("search-app");
const form = document.getElementById("search-form");
const input = document.getElementById("q");
const statusEl = document.getElementById("status");
const resultsEl = document.getElementById("results");
const filtersEl = document.getElementById("filters");
const filtersBox = document.getElementById("filters-box");
const filtersOn = document.getElementById("filters-on");
const moreBtn = document.getElementById("more");

const root = new URL("../", import.meta.url);
const folder = new URL("search/i/", root);
const meta = JSON.parse(app.dataset.index || "null");
const PAGE = 20;

// The same words as search_index.words(): NFKC, lower case, letters and digits, each
// Chinese or Japanese character a word, a plural's final "s" dropped.
const CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff";
const WORD = new RegExp(`[${CJK}]|(?:(?![${CJK}])[\\p{L}\\p{N}])+`, "gu");
const MAX_WORD = 60;

function fold(w) {
  return w.length > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w;
}

function words(text) {
  const out = [];
  for (const m of text.normalize("NFKC").toLowerCase().matchAll(WORD)) {
    const w = fold(m[0]);
    if (w.length <= MAX_WORD) out.push(w);
  }
  return out;
}

const encoder = new TextEncoder();

function fnv1a(word) {
  let h = 0x811c9dc5;
  for (const b of encoder.encode(word)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

function fileUrl(path) {
  return new URL(`${path}?v=${meta.tag}`, folder);
}

async function fetchBin(path) {
  const response = await fetch(fileUrl(path));
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  const body = response.body.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(body).arrayBuffer());
}

// -- the index -------------------------------------------------------------------------------

let facets = [];  // [{name, codes: typed array (one per post), boxes: [checkbox per code]}]
let rank = null;  // Uint8Array, one per post
const buckets = new Map();  // bucket number → Promise<Map(word → entry)>
const lists = new Map();  // word → Promise<Int32Array of post numbers>
const groups = new Map();  // result file number → Promise<[rows]>
const common = new Map(Object.entries((meta && meta.common) || {}));  // word → [bucket, n, posts]

function varints(bytes, start, end, count) {
  // Delta-encoded numbers (each one minus the previous, minus one) back to post numbers.
  const out = new Int32Array(count);
  let pos = start, n = 0, prev = -1;
  while (pos < end && n < count) {
    let value = 0, shift = 0, b;
    do { b = bytes[pos++]; value += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    prev += value + 1;
    out[n++] = prev;
  }
  return out;
}

function readBucket(bytes) {
  const words = new Map();
  let pos = 0;
  const num = () => {
    let value = 0, shift = 0, b;
    do { b = bytes[pos++]; value += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return value;
  };
  const decoder = new TextDecoder();
  for (let i = num(); i > 0; i--) {
    const len = num();
    const word = decoder.decode(bytes.subarray(pos, pos + len));
    pos += len;
    const count = num();
    if (num() === 1) {
      words.set(word, { count, own: num() });
    } else {
      const size = num();
      words.set(word, { count, start: pos, end: pos + size, bytes });
      pos += size;
    }
  }
  return words;
}

// A common word's list is fetched straight from its own file (the page lists them), any
// other word's from its bucket file.
function postsWith(word) {
  if (!lists.has(word)) {
    lists.set(word, (async () => {
      if (common.has(word)) {
        const [b, own, count] = common.get(word);
        const bytes = await fetchBin(`t/${b}-${own}.bin`);
        return varints(bytes, 0, bytes.length, count);
      }
      const b = fnv1a(word) % meta.buckets;
      if (!buckets.has(b)) buckets.set(b, fetchBin(`t/${b}.bin`).then(readBucket));
      const entry = (await buckets.get(b)).get(word);
      if (!entry) return new Int32Array(0);
      if (entry.own) {
        const bytes = await fetchBin(`t/${b}-${entry.own}.bin`);
        return varints(bytes, 0, bytes.length, entry.count);
      }
      return varints(entry.bytes, entry.start, entry.end, entry.count);
    })());
  }
  return lists.get(word);
}

function intersect(a, b) {
  const out = new Int32Array(Math.min(a.length, b.length));
  let i = 0, j = 0, n = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { out[n++] = a[i]; i++; j++; } else if (a[i] < b[j]) i++; else j++;
  }
  return out.subarray(0, n);
}

async function loadColumns() {
  const bytes = await fetchBin("cols.bin");
  const n = meta.posts;
  let pos = 0;
  facets = meta.facets.map((f) => {
    let codes;
    if (f.width === 1) {
      codes = bytes.subarray(pos, pos + n);
    } else {
      codes = new Uint16Array(n);
      for (let i = 0; i < n; i++) codes[i] = bytes[pos + 2 * i] | (bytes[pos + 2 * i + 1] << 8);
    }
    pos += f.width * n;
    const boxes = [null];
    for (const box of filtersEl.querySelectorAll(`input[name="${f.name}"]`)) boxes[Number(box.dataset.code)] = box;
    return { name: f.name, size: f.values, codes, boxes };
  });
  rank = bytes.subarray(pos, pos + n);
}

function resultRows(id) {
  const g = Math.floor(id / meta.group);
  if (!groups.has(g)) {
    groups.set(g, fetchBin(`d/${g}.bin`).then((bytes) => JSON.parse(new TextDecoder().decode(bytes))));
  }
  return groups.get(g).then((rows) => rows[id - g * meta.group]);
}

// -- the search --------------------------------------------------------------------------------

function chosen() {
  // facet index → Set of codes (only facets with something chosen)
  const out = new Map();
  facets.forEach((f, i) => {
    const codes = new Set();
    f.boxes.forEach((box, code) => { if (box && box.checked) codes.add(code); });
    if (codes.size) out.set(i, codes);
  });
  return out;
}

// The posts that match the words and every chosen filter, ranked; and for each filter value
// how many posts it would give with the other filters as they are (so a count says what
// ticking that box adds).
function filterAndCount(matches, picked) {
  const counts = facets.map((f) => new Uint32Array(f.size + 1));
  const byRank = Array.from({ length: 256 }, () => []);
  const total = matches ? matches.length : meta.posts;
  for (let k = total - 1; k >= 0; k--) {  // newest first within a rank
    const id = matches ? matches[k] : k;
    let failed = -1, fails = 0;
    for (const [i, codes] of picked) {
      if (!codes.has(facets[i].codes[id])) { failed = i; if (++fails > 1) break; }
    }
    if (fails > 1) continue;
    if (fails === 1) { counts[failed][facets[failed].codes[id]]++; continue; }
    for (let i = 0; i < facets.length; i++) counts[i][facets[i].codes[id]]++;
    byRank[rank[id]].push(id);
  }
  const ranked = [];
  for (let r = 255; r >= 0; r--) for (const id of byRank[r]) ranked.push(id);
  return { ranked, counts };
}

function showCounts(counts) {
  facets.forEach((f, i) => {
    f.boxes.forEach((box, code) => {
      if (!box) return;
      box.parentElement.querySelector(".count").textContent = counts[i][code].toLocaleString("en");
    });
  });
}

function showTotals() {
  for (const span of filtersEl.querySelectorAll(".count")) {
    span.textContent = Number(span.dataset.total).toLocaleString("en");
  }
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The stages of a search, as marks benchmarks/browser_search.py reads (one of each name kept).
function mark(name, options) {
  performance.clearMarks(name);
  performance.mark(name, options);
}

function say(text) {
  statusEl.textContent = text;
}

// The post's text around the first word searched for, those words marked.
function excerptNode(text, wanted) {
  const p = el("p", "excerpt");
  const hits = [];
  for (const m of text.matchAll(WORD)) {
    if (wanted.has(fold(m[0].normalize("NFKC").toLowerCase()))) hits.push([m.index, m.index + m[0].length]);
  }
  let start = 0;
  if (hits.length && hits[0][0] > 160) {
    start = text.lastIndexOf(" ", hits[0][0] - 60) + 1;
    p.appendChild(document.createTextNode("… "));
  }
  const end = Math.min(text.length, start + 300);
  let pos = start;
  for (const [a, b] of hits) {
    if (a < pos || b > end) continue;
    p.appendChild(document.createTextNode(text.slice(pos, a)));
    p.appendChild(el("mark", null, text.slice(a, b)));
    pos = b;
  }
  p.appendChild(document.createTextNode(text.slice(pos, end) + (end < text.length ? " …" : "")));
  return p;
}

function resultNode(row, wanted) {
  const li = el("li", "result");
  const head = el("a", "r-title", `${row.author} · ${row.when}`);
  head.href = new URL(row.url, root).pathname;
  li.appendChild(head);
  const facts = el("p", "r-facts");
  if (row.kind && row.kind !== "Other") {
    facts.appendChild(el("span", `badge r-kind kind-${row.kind.toLowerCase().replace(/[^a-z]/g, "")}`, row.kind));
  }
  facts.appendChild(el("span", "badge r-source", row.source));
  if (row.talk) facts.appendChild(el("span", "badge r-talk", row.talk));
  li.appendChild(facts);
  if (row.cw) {
    const details = el("details", "cw");
    const summary = el("summary");
    summary.appendChild(el("span", "cw-label", "Content warning:"));
    summary.appendChild(document.createTextNode(" " + row.cw));
    details.appendChild(summary);
    details.appendChild(excerptNode(row.text, wanted));
    li.appendChild(details);
  } else {
    li.appendChild(excerptNode(row.text, wanted));
  }
  return li;
}

let ranked = [];
let wanted = new Set();
let shown = 0;
let generation = 0;
let lastRun = null;  // the address of the search on screen

// Shows the next page of results, each as soon as its file (and those of the results above
// it) arrived; `first` runs once the first is on the page. The list is aria-busy meanwhile.
// A new search asks for the first result's file alone, then for the rest at once (twenty
// files at once would slow the first down); "Show more" asks for all at once.
async function renderMore(first) {
  const mine = generation;
  const batch = ranked.slice(shown, shown + PAGE);
  shown += batch.length;
  resultsEl.setAttribute("aria-busy", "true");
  if (first && batch.length) {
    const row = await resultRows(batch[0]);
    if (mine !== generation) return;
    mark("row");
    if (row) resultsEl.appendChild(resultNode(row, wanted));
    first();
    batch.shift();
  }
  const pending = batch.map(resultRows);  // shown in rank order
  for (const rowPromise of pending) {
    const row = await rowPromise;
    if (mine !== generation) return;
    if (row) resultsEl.appendChild(resultNode(row, wanted));
  }
  resultsEl.setAttribute("aria-busy", "false");
  moreBtn.hidden = shown >= ranked.length;
}

async function run() {
  const mine = ++generation;
  lastRun = stateUrl().href;
  const query = input.value.trim();
  const picked = chosen();
  const n = [...picked.values()].reduce((sum, codes) => sum + codes.size, 0);
  if (filtersOn) filtersOn.textContent = n ? `(${n} chosen)` : "";
  const terms = [...new Set(words(query))];
  if (!terms.length && !picked.size) {
    resultsEl.textContent = "";
    resultsEl.setAttribute("aria-busy", "false");
    moreBtn.hidden = true;
    showTotals();
    say(query ? "Type a word (letters or digits)." : "Type a word or pick a filter.");
    return;
  }
  say("Searching…");
  mark("search");  // benchmarks/browser_search.py reads the "first results" measure
  let matches = null;  // null: every post
  if (terms.length) {
    const found = await Promise.all(terms.map(postsWith));
    if (mine !== generation) return;
    found.sort((a, b) => a.length - b.length);
    mark("lists");
    matches = found.reduce((a, b) => intersect(a, b));
  }
  const result = filterAndCount(matches, picked);
  mark("ranked");
  ranked = result.ranked;
  wanted = new Set(terms);
  shown = 0;
  resultsEl.textContent = "";
  const found = ranked.length === 1 ? "1 post found." : `${ranked.length.toLocaleString("en")} posts found.`;
  if (!ranked.length) {
    showCounts(result.counts);
    moreBtn.hidden = true;
    resultsEl.setAttribute("aria-busy", "false");
    say(found);
    return;
  }
  await renderMore(() => {  // the count is said with the first result on the page; the filters' counts follow
    say(found);
    performance.clearMeasures("first results");
    performance.measure("first results", "search");
    showCounts(result.counts);
  });
}

// -- the address ------------------------------------------------------------------------------

function stateUrl() {
  const url = new URL(window.location.href);
  url.search = "";
  const query = input.value.trim();
  if (query) url.searchParams.set("q", query);
  for (const box of filtersEl.querySelectorAll("input[type=checkbox]:checked")) url.searchParams.append(box.name, box.value);
  return url;
}

function fromUrl() {
  const params = new URL(window.location.href).searchParams;
  input.value = params.get("q") || "";
  for (const box of filtersEl.querySelectorAll("input[type=checkbox]")) {
    box.checked = params.getAll(box.name).includes(box.value);
  }
}

// Typing replaces the history entry it started; a filter or a submitted query adds one.
function remember(typing) {
  const url = stateUrl();
  if (url.href === window.location.href) return;
  if (typing && history.state && history.state.typing) history.replaceState({ typing: true }, "", url);
  else history.pushState({ typing }, "", url);
}

function fail(error) {
  app.hidden = false;
  say(`Search is not available here: ${error && error.message ? error.message : error}`);
}

// Each input searches at once (no pause after a keystroke: the first results come sooner);
// a newer input makes the search before it stale, and a stale search stops at its next step
// and shows nothing. Typing that leaves the search as it was (a trailing space, the same word
// typed over) does not search again: the results on screen stay.
function typed(event) {
  mark("input", { startTime: event.timeStamp });
  if (stateUrl().href === lastRun) return;
  run().catch(fail);  // runs until it waits for its first file, then the address is updated
  remember(true);
}

async function start() {
  if (!meta || !meta.posts) {
    app.hidden = false;
    return;
  }
  if (filtersBox) filtersBox.open = window.matchMedia("(min-width: 40em)").matches;  // a phone: results first
  say("Loading the search index…");
  await loadColumns();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    remember(false);
    run().catch(fail);
  });
  input.addEventListener("input", typed);
  filtersEl.addEventListener("change", () => { remember(false); run().catch(fail); });
  moreBtn.addEventListener("click", () => renderMore().catch(fail));
  window.addEventListener("popstate", () => { fromUrl(); run().catch(fail); });
  fromUrl();
  app.hidden = false;
  app.dataset.ready = "true";
  await run();
}

start().catch(fail);
