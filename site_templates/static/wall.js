// The venue wall: polls posts.json (written by every digest build) and moderation.json
// (written by every build and every `backchannel hide`/`pin`/…) next to the page, and shows
// the newest posts and a rotating spotlight.
//
// Everything from a post (names, text, talk titles) is inserted with textContent, never as
// HTML; links are only followed when they point into the digest itself.

(function () {
  "use strict";

  const body = document.body;
  const POLL = Math.max(2, Number(body.dataset.poll) || 10) * 1000;
  const SPOT = Math.max(4, Number(body.dataset.spotlight) || 12) * 1000;
  const MAX = Math.max(1, Number(body.dataset.posts) || 30);
  const list = document.getElementById("posts");
  const stage = document.getElementById("spotlight");
  const statusEl = document.getElementById("wall-status");
  const pauseBtn = document.getElementById("wall-pause");
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)");

  let posts = [];
  let spotlight = [];
  let moderation = { version: 0, hidden: [], pinned: [] };
  let seen = null; // ids shown so far; null until the first load (nothing is "new" then)
  const cards = new Map();
  let spotIndex = -1;
  let spotTimer = null;
  let paused = false;
  let lastOk = null;
  let pinnedSeen = new Set();

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function str(value) {
    return typeof value === "string" ? value : "";
  }

  // A link into the digest (../posts/…): anything else is dropped.
  function digestLink(value) {
    return /^\.\.\/posts\/[\w./-]+\.html$/.test(str(value)) ? value : null;
  }

  function card(p, big) {
    const article = el("article", big ? "post post-big" : "post");
    const head = el("p", "post-head");
    head.append(el("span", "post-name", str(p.name) || "Someone"));
    if (str(p.handle)) head.append(" ", el("span", "post-handle", p.handle));
    const text = el("p", "post-text", str(p.text));
    const foot = el("p", "post-foot");
    const time = el("time", "post-time", str(p.time));
    if (str(p.iso)) time.dateTime = p.iso;
    const link = digestLink(p.link);
    if (link) {
      const a = el("a", "post-link");
      a.href = link;
      a.append(time);
      foot.append(a);
    } else {
      foot.append(time);
    }
    foot.append(el("span", "post-source", " · " + str(p.source)));
    if (str(p.kind)) foot.append(el("span", "post-kind", " · " + p.kind));
    if (str(p.talk)) foot.append(el("span", "post-talk", " · " + p.talk));
    article.append(head, text, foot);
    return article;
  }

  function visible(items) {
    const hidden = new Set(Array.isArray(moderation.hidden) ? moderation.hidden : []);
    return (Array.isArray(items) ? items : []).filter(
      (p) => p && typeof p === "object" && typeof p.id === "string" && !hidden.has(p.id));
  }

  function renderPosts() {
    const shown = visible(posts).slice(0, MAX);
    const fresh = new Map();
    const nodes = shown.map((p) => {
      const key = p.id + "\u0000" + str(p.text) + "\u0000" + str(p.kind) + "\u0000" + str(p.talk);
      let item = cards.get(p.id);
      if (!item || item.key !== key) {
        const li = el("li", "wall-item");
        if (typeof p.anchor === "string") li.id = p.anchor;
        li.append(card(p, false));
        item = { li: li, key: key };
      }
      if (seen && !seen.has(p.id)) item.li.classList.add("is-new");
      fresh.set(p.id, item);
      return item.li;
    });
    cards.clear();
    fresh.forEach((v, k) => cards.set(k, v));
    if (!nodes.length) nodes.push(el("li", "empty", "Waiting for the first posts …"));
    list.replaceChildren(...nodes);
    seen = new Set(shown.map((p) => p.id));
    window.setTimeout(() => list.querySelectorAll(".is-new").forEach((n) => n.classList.remove("is-new")), 4000);
  }

  function spotItems() {
    return visible(moderation.pinned).concat(visible(spotlight));
  }

  function showSpot(step) {
    const items = spotItems();
    if (!items.length) {
      stage.replaceChildren(el("p", "empty", "Top takeaways and open questions appear here."));
      stage.dataset.id = "";
      spotIndex = -1;
      return;
    }
    spotIndex = (Math.max(spotIndex, 0) + step + items.length) % items.length;
    const p = items[spotIndex];
    const figure = el("figure", "spot");
    figure.append(el("figcaption", "spot-label", str(p.label) || "Spotlight"), card(p, true));
    const answer = p.answer;
    const hidden = new Set(Array.isArray(moderation.hidden) ? moderation.hidden : []);
    if (answer && typeof answer === "object" && !hidden.has(answer.id)) {
      // an answered question: its best answer under it, as plain text like every card
      const box = el("blockquote", "spot-answer");
      box.append(el("p", "spot-answer-who", (answer.speaker ? "The speaker, " : "Answered by ") + str(answer.name)),
                 el("p", "spot-answer-text", str(answer.text)));
      figure.append(box);
    }
    if (!reduced.matches) figure.classList.add("is-entering");
    stage.replaceChildren(figure);
    stage.dataset.id = p.id;
  }

  function rotate() {
    window.clearTimeout(spotTimer);
    if (!paused) showSpot(1);
    spotTimer = window.setTimeout(rotate, reduced.matches ? SPOT * 2 : SPOT);
  }

  function get(name) {
    return fetch(name, { cache: "no-store", credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(name + ": HTTP " + r.status);
      return r.json();
    });
  }

  function clock(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function refresh() {
    Promise.all([get("posts.json"), get("moderation.json").catch(() => null)])
      .then(([data, mod]) => {
        const firstSpot = !stage.dataset.id;
        if (data && typeof data === "object") {
          posts = Array.isArray(data.posts) ? data.posts : [];
          spotlight = Array.isArray(data.spotlight) ? data.spotlight : [];
        }
        if (mod && typeof mod === "object" && Number(mod.version) >= Number(moderation.version)) {
          moderation = mod;
        }
        renderPosts();
        const current = spotItems();
        const pinned = visible(moderation.pinned).map((p) => p.id);
        const newPin = pinned.findIndex((id) => !pinnedSeen.has(id));
        pinnedSeen = new Set(pinned);
        if (newPin >= 0 && !firstSpot) {
          // a post pinned just now (an announcement): show it at once
          spotIndex = newPin;
          showSpot(0);
        } else if (firstSpot || !current.some((p) => p.id === stage.dataset.id)) {
          // the first load, or the post in the spotlight was hidden: show another at once
          spotIndex = Math.min(Math.max(spotIndex, 0), Math.max(current.length - 1, 0));
          showSpot(0);
        }
        lastOk = new Date();
        statusEl.textContent = "Updated " + clock(lastOk);
      })
      .catch(() => {
        statusEl.textContent = lastOk ? "Offline since " + clock(lastOk) + "; retrying" : "Cannot load posts yet; retrying";
      })
      .finally(() => window.setTimeout(refresh, POLL));
  }

  pauseBtn.addEventListener("click", () => {
    paused = !paused;
    pauseBtn.setAttribute("aria-pressed", String(paused));
    pauseBtn.textContent = paused ? "Resume" : "Pause";
  });

  refresh();
  spotTimer = window.setTimeout(rotate, SPOT);
})();
