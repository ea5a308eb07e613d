// The reader's language choice on the front page, the talks and the takeaways.
//
// The page holds every post (without JavaScript all of them show); this only hides the list
// entries written in languages the reader did not choose, and says how many. The choice is
// kept in localStorage (no cookie); until there is one, it follows the browser's languages
// where at least half of the page is in them, else (or when none of them is a language of
// the event) it shows everything. A post whose language
// is unknown always shows. A key point shows when any post that made it is in a chosen
// language, its "also made by" links to those posts marked.

const KEY = "backchannel.languages";
const box = document.getElementById("lang-choice");
const note = document.getElementById("lang-note");
const allButton = document.getElementById("lang-all");
const boxes = [...box.querySelectorAll("input[name=lang]")];
const eventLangs = boxes.map((b) => b.value);
const names = Object.fromEntries(boxes.map((b) => [b.value, b.parentElement.textContent.trim()]));

const primary = (tag) => (tag || "").split("-")[0].toLowerCase();

function stored() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY));
    if (value === "all" || Array.isArray(value)) return value;
  } catch (e) { /* storage off, or not ours: fall back to the browser's languages */ }
  return null;
}

function store(value) {
  try { localStorage.setItem(KEY, JSON.stringify(value)); } catch (e) { /* kept for this page only */ }
}

// The languages to show, or null for all of them. The reader's own choice holds; without
// one, the browser's languages are a guess (browsers often name one language, though many
// readers read more), so they apply only where at least half of the page is in them: the
// guess never hides most of a page.
function chosen() {
  const value = stored();
  if (value === "all") return null;
  if (value !== null) {
    const known = eventLangs.filter((code) => value.includes(code));
    return known.length ? new Set(known) : null;
  }
  const browser = (navigator.languages || [navigator.language]).map(primary);
  const guess = new Set(eventLangs.filter((code) => browser.includes(code)));
  if (!guess.size) return null;
  const written = entries.map(entryLangs).filter((own) => own.length);
  const readable = written.filter((own) => own.some((code) => guess.has(code))).length;
  return readable * 2 >= written.length ? guess : null;
}

// What a list entry is written in: a key point says so itself; otherwise its posts' texts.
function entryLangs(entry) {
  if (entry.dataset.langs !== undefined) return entry.dataset.langs.split(" ").filter(Boolean);
  return [...entry.querySelectorAll(".card .content[lang]")].map((c) => primary(c.lang));
}

const entries = [...document.querySelectorAll("ol.points > li, ol.answered > li, ol.cards > li")]
  .filter((li) => li.querySelector(".card"));
const lists = [...new Set(entries.map((li) => li.parentElement))];

// A post can be in several lists of a page (a key point, the takeaways, all posts): it is
// counted once, by its permalink, and as hidden only when no list shows it.
const posts = (entry) => [...entry.querySelectorAll(".card a.when")].map((a) => a.getAttribute("href"));

function apply(langs) {
  const hiddenPosts = new Set();
  const shownPosts = new Set();
  for (const entry of entries) {
    const own = entryLangs(entry);
    const hide = langs !== null && own.length > 0 && !own.some((code) => langs.has(code));
    entry.hidden = hide;
    for (const post of posts(entry)) (hide ? hiddenPosts : shownPosts).add(post);
  }
  const hidden = [...hiddenPosts].filter((post) => !shownPosts.has(post)).length;
  for (const list of lists) {
    let empty = list.querySelector(":scope > li.lang-empty");
    const none = [...list.children].every((li) => li.hidden || li === empty);
    if (none && !empty) {
      empty = document.createElement("li");
      empty.className = "empty lang-empty";
      empty.textContent = "Posts here are in other languages.";
      list.append(empty);
    }
    if (empty) empty.hidden = !none;
  }
  for (const link of document.querySelectorAll("ol.points a[hreflang]")) {
    const yours = langs !== null && langs.has(primary(link.hreflang));
    link.classList.toggle("in-your-language", yours);
    if (yours) link.title = `In ${names[primary(link.hreflang)]}`;
    else link.removeAttribute("title");
  }
  for (const b of boxes) b.checked = langs === null || langs.has(b.value);
  if (langs === null) {
    note.textContent = "Showing posts in all languages.";
  } else {
    const list = [...langs].map((code) => names[code]).join(", ");
    note.textContent = hidden
      ? `${hidden === 1 ? "1 post" : `${hidden} posts`} in other languages hidden (showing ${list}) —`
      : `Showing posts in ${list}; none here is in another language.`;
  }
  allButton.hidden = langs === null;
}

for (const b of boxes) {
  b.addEventListener("change", () => {
    const picked = boxes.filter((x) => x.checked).map((x) => x.value);
    const all = picked.length === 0 || picked.length === boxes.length;
    store(all ? "all" : picked);
    apply(all ? null : new Set(picked));
  });
}
allButton.addEventListener("click", () => {
  store("all");
  apply(null);
  box.querySelector("summary").focus();
});

apply(chosen());
box.hidden = false;
