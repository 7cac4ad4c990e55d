// Box Office: what every page does with JavaScript on. Each part finds its elements by a data
// attribute and does nothing where they are absent; the pages work without it.
document.documentElement.classList.add("js");

// Autocomplete on the search box: suggestions from /api/v1/search/suggest, a listbox the arrow
// keys move through, Enter opens the choice.
function autocomplete(input) {
  const list = document.getElementById(input.getAttribute("aria-controls"));
  if (!list) return;
  let items = [];
  let active = -1;
  let timer = 0;
  let asked = "";
  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const open = (choice) => {
    if (choice.kind === "event") location.assign("/events/" + encodeURIComponent(choice.id));
    else if (choice.kind === "city") location.assign("/cities/" + encodeURIComponent(choice.text));
    else location.assign("/search?q=" + encodeURIComponent(choice.text));
  };
  const show = () => {
    list.replaceChildren();
    items.forEach((item, i) => {
      const li = document.createElement("li");
      li.id = "suggestion-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", String(i === active));
      li.textContent = item.text;
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = item.kind;
      li.append(kind);
      li.addEventListener("mousedown", (e) => { e.preventDefault(); open(item); });
      list.append(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", String(items.length > 0));
    if (active >= 0) input.setAttribute("aria-activedescendant", "suggestion-" + active);
    else input.removeAttribute("aria-activedescendant");
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) { items = []; close(); return; }
    timer = setTimeout(async () => {
      asked = q;
      try {
        const r = await fetch("/api/v1/search/suggest?limit=8&q=" + encodeURIComponent(q));
        if (!r.ok || asked !== q) return;
        items = (await r.json()).items;
        active = -1;
        show();
      } catch (_) { /* offline: the form still searches */ }
    }, 120);
  });
  input.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (e.key === "ArrowDown") active = active + 1 >= items.length ? -1 : active + 1;
      else active = active - 1 < -1 ? items.length - 1 : active - 1;
      show();
    } else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      open(items[active]);
    } else if (e.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
}

// The hold's countdown, from the seconds the server gave (so a wrong clock here cannot shorten
// it); a warning at two minutes, announced; at zero the Pay button goes and the page says why.
function countdown(el) {
  const left = Number(el.dataset.expiresIn);
  if (!Number.isFinite(left)) return;
  const ends = performance.now() + left * 1000;
  const out = document.getElementById("countdown-left");
  const alert = document.getElementById("countdown-alert");
  let warned = false;
  const tick = () => {
    const s = Math.max(0, Math.round((ends - performance.now()) / 1000));
    const m = Math.floor(s / 60);
    out.textContent = m + ":" + String(s % 60).padStart(2, "0");
    if (s <= 120 && !warned && s > 0) {
      warned = true;
      el.classList.add("warn");
      alert.hidden = false;
      alert.textContent = "Two minutes left to pay before the seats are released.";
    }
    if (s === 0) {
      el.classList.add("warn");
      alert.hidden = false;
      alert.textContent = "Your hold has expired and the seats went back on sale.";
      const pay = document.getElementById("pay");
      if (pay) pay.disabled = true;
      return;
    }
    setTimeout(tick, 250);
  };
  tick();
}

// "Near me" on the search page: the browser's position fills the hidden fields, then searches
// by distance.
function nearMe(button) {
  button.addEventListener("click", () => {
    if (!navigator.geolocation) { button.textContent = "Location unavailable"; return; }
    navigator.geolocation.getCurrentPosition((p) => {
      const form = button.form;
      form.querySelector("[data-near-lat]").value = p.coords.latitude.toFixed(4);
      form.querySelector("[data-near-lon]").value = p.coords.longitude.toFixed(4);
      const sort = form.querySelector("select[name=sort]");
      if (sort && !sort.querySelector("option[value=distance]")) {
        sort.append(new Option("Nearest", "distance"));
      }
      if (sort) sort.value = "distance";
      form.submit();
    }, () => { button.textContent = "Location refused"; });
  });
}

// Checkout has the seats: the show page's remembered picks are done with.
for (const el of document.querySelectorAll("[data-clear-picks]")) {
  try { sessionStorage.removeItem("bo-pick-" + el.dataset.clearPicks); } catch (_) {}
}

for (const input of document.querySelectorAll("[data-suggest]")) autocomplete(input);
for (const el of document.querySelectorAll("[data-expires-in]")) countdown(el);
for (const b of document.querySelectorAll("[data-near]")) nearMe(b);
for (const b of document.querySelectorAll("[data-print]")) b.addEventListener("click", () => window.print());
