// The live seat map of a show page. It draws the seat-map JSON as SVG, one circle per seat,
// each an accessible checkbox ("Row C, seat 14, €45.00, available"); the arrow keys move
// between seats (one seat of the map is in the tab order at a time), Space or Enter picks.
// The seat stream keeps every seat's status current; a picked seat someone else takes is
// dropped from the order with a word why. Picked seats go in the hold form as `seat` fields.
const root = document.getElementById("seatmap");
const form = document.getElementById("pick");
if (root && form) start();

const SVG = "http://www.w3.org/2000/svg";
const UNIT = 14; // pixels per seat step
const PALETTE = ["#3a2fc1", "#0f7b6c", "#b35c00", "#a3195b", "#2c6fbb", "#6a7f00"];

// Money as the server writes it (web/format.rs): the currency's own number of decimals,
// thousands grouped, €/$/£/¥ before the number, other codes as "CHF 30.00".
const SYMBOLS = { EUR: "€", USD: "$", GBP: "£", JPY: "¥" };
function money(minor, currency) {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  } catch (_) { /* an unknown code: two decimals */ }
  const sign = minor < 0 ? "-" : "";
  const units = Math.abs(minor) / 10 ** digits;
  const number = units.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return sign + (SYMBOLS[currency] ?? currency + " ") + number;
}

async function start() {
  const show = root.dataset.show;
  const max = Number(root.dataset.max) || 10;
  const status = document.getElementById("map-status");
  const list = document.getElementById("picked");
  const none = document.getElementById("picked-none");
  const total = document.getElementById("picked-total");
  const hold = document.getElementById("hold");
  const storeKey = "bo-pick-" + show;
  let map;
  try {
    const r = await fetch(root.dataset.seats, { headers: { accept: "application/json" } });
    if (!r.ok) throw new Error("seat map " + r.status);
    map = await r.json();
  } catch (e) {
    root.querySelector(".loading").textContent = "The seat map could not be loaded. Choose from a list or take the best available.";
    return;
  }

  // Layout: sections stacked under the stage, each centred, seats on their own grid.
  const prices = [...new Set(map.sections.map((s) => s.price))].sort((a, b) => b - a);
  const colour = (price) => PALETTE[prices.indexOf(price) % PALETTE.length];
  const seats = new Map(); // id -> {el, seat, section, row}
  const rows = []; // [{seats: [...] sorted by x}] top to bottom
  let width = 20;
  for (const s of map.sections) {
    for (const seat of s.seats) width = Math.max(width, Math.abs(seat.x) * 2 + 2);
  }
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("role", "group");
  svg.setAttribute("aria-label", "Seat map");
  const frag = document.createDocumentFragment();
  const stage = document.createElementNS(SVG, "rect");
  stage.setAttribute("x", String(-width * 0.3 * UNIT));
  stage.setAttribute("y", "0");
  stage.setAttribute("width", String(width * 0.6 * UNIT));
  stage.setAttribute("height", String(1.6 * UNIT));
  stage.setAttribute("rx", "6");
  stage.setAttribute("fill", "#2b2b33");
  frag.append(stage);
  const stageText = document.createElementNS(SVG, "text");
  stageText.setAttribute("x", "0");
  stageText.setAttribute("y", String(1.1 * UNIT));
  stageText.setAttribute("text-anchor", "middle");
  stageText.setAttribute("fill", "#fff");
  stageText.setAttribute("class", "stage-label");
  stageText.textContent = "Stage";
  frag.append(stageText);
  let y = 3.5;
  for (const section of map.sections) {
    const price = money(section.price, section.currency);
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", "0");
    label.setAttribute("y", String(y * UNIT));
    label.setAttribute("text-anchor", "middle");
    label.setAttribute("class", "section-label");
    label.textContent = section.name + " · " + price;
    frag.append(label);
    y += 0.8;
    if (section.kind === "standing" || section.seats.length === 0) {
      const area = document.createElementNS(SVG, "rect");
      area.setAttribute("x", String(-width * 0.4 * UNIT));
      area.setAttribute("y", String(y * UNIT));
      area.setAttribute("width", String(width * 0.8 * UNIT));
      area.setAttribute("height", String(3 * UNIT));
      area.setAttribute("rx", "8");
      area.setAttribute("fill", colour(section.price));
      area.setAttribute("class", "standing-area" + (section.available > 0 ? "" : " full"));
      area.setAttribute("role", "button");
      area.setAttribute("tabindex", "0");
      area.setAttribute("aria-label", section.name + ", standing, " + price + ", " + section.available + " places left: choose how many under Best available");
      const choose = () => {
        const select = document.getElementById("best-section");
        if (select) { select.value = section.name; select.focus(); }
      };
      area.addEventListener("click", choose);
      area.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); choose(); }
      });
      frag.append(area);
      const inside = document.createElementNS(SVG, "text");
      inside.setAttribute("x", "0");
      inside.setAttribute("y", String((y + 1.8) * UNIT));
      inside.setAttribute("text-anchor", "middle");
      inside.setAttribute("class", "stage-label");
      inside.setAttribute("aria-hidden", "true");
      inside.textContent = "Standing · " + section.available + " places left";
      frag.append(inside);
      y += 4.5;
      continue;
    }
    const minY = Math.min(...section.seats.map((s) => s.y));
    const byRow = new Map();
    for (const seat of section.seats) {
      const el = document.createElementNS(SVG, "circle");
      const cy = y + (seat.y - minY);
      el.setAttribute("cx", String(seat.x * UNIT));
      el.setAttribute("cy", String(cy * UNIT + UNIT / 2));
      el.setAttribute("r", String(UNIT * 0.4));
      el.setAttribute("class", "seat");
      el.setAttribute("fill", colour(section.price));
      el.setAttribute("role", "checkbox");
      el.setAttribute("tabindex", "-1");
      el.dataset.seat = seat.id;
      const entry = { el, seat, section, price, picked: false };
      seats.set(String(seat.id), entry);
      setStatus(entry, seat.status);
      const key = seat.row ?? "";
      if (!byRow.has(key)) byRow.set(key, []);
      byRow.get(key).push(entry);
      frag.append(el);
    }
    for (const row of byRow.values()) {
      row.sort((a, b) => a.seat.x - b.seat.x);
      rows.push(row);
    }
    y += Math.max(...section.seats.map((s) => s.y)) - minY + 2;
  }
  rows.forEach((row, r) => row.forEach((entry, i) => { entry.r = r; entry.i = i; }));
  const height = y + 1;
  svg.setAttribute("viewBox", [-width / 2 * UNIT - UNIT, 0, (width + 2) * UNIT, height * UNIT].join(" "));
  svg.append(frag);
  root.replaceChildren(svg);
  let zoom = 1;
  const naturalWidth = (width + 2) * UNIT;
  // At "fit" a small hall is not blown up past twice its natural size.
  const applyZoom = () => {
    svg.style.width = zoom === 1 ? "100%" : Math.round(root.clientWidth * zoom) + "px";
    svg.style.maxWidth = zoom === 1 ? Math.max(naturalWidth * 2, 320) + "px" : "none";
  };
  applyZoom();
  for (const b of document.querySelectorAll("[data-zoom]")) {
    b.addEventListener("click", () => {
      const how = b.dataset.zoom;
      zoom = how === "in" ? Math.min(zoom * 1.5, Math.max(8, naturalWidth / 200)) : how === "out" ? Math.max(zoom / 1.5, 1) : 1;
      applyZoom();
    });
  }

  // Legend: one swatch per price, then held and sold.
  const legend = document.getElementById("legend");
  if (legend) {
    const item = (fill, text) => {
      const li = document.createElement("li");
      const dot = document.createElement("i");
      dot.style.background = fill;
      li.append(dot, text);
      legend.append(li);
    };
    const currency = map.sections[0]?.currency ?? root.dataset.currency;
    for (const p of prices) item(colour(p), money(p, currency));
    item("#c9c9d1", "Held by someone");
    item("#6d6d78", "Sold");
  }

  function setStatus(entry, next) {
    entry.status = next;
    const s = entry.seat;
    entry.el.classList.toggle("held", next === "held");
    entry.el.classList.toggle("sold", next === "sold");
    entry.el.dataset.status = next;
    entry.el.setAttribute("aria-disabled", String(next !== "available" && !entry.picked));
    entry.el.setAttribute("aria-checked", String(entry.picked));
    // Whether it is picked is the checkbox's state (aria-checked), not part of its name.
    const words = next === "available" ? "available" : next === "held" ? "held by someone else" : "sold";
    entry.el.setAttribute("aria-label", "Row " + (s.row ?? "") + ", seat " + s.number + ", " + entry.price + ", " + words);
  }

  const picked = [];
  function render() {
    list.replaceChildren();
    let sum = 0;
    let currency = root.dataset.currency;
    for (const entry of picked) {
      sum += entry.section.price;
      currency = entry.section.currency;
      const li = document.createElement("li");
      const text = document.createElement("span");
      text.textContent = entry.section.name + ", row " + (entry.seat.row ?? "") + ", seat " + entry.seat.number + " · " + entry.price;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", "Remove row " + (entry.seat.row ?? "") + ", seat " + entry.seat.number);
      remove.addEventListener("click", () => toggle(entry));
      const field = document.createElement("input");
      field.type = "hidden";
      field.name = "seat";
      field.value = entry.seat.id;
      li.append(text, remove, field);
      list.append(li);
    }
    none.hidden = picked.length > 0;
    total.textContent = picked.length ? picked.length + (picked.length === 1 ? " seat · " : " seats · ") + money(sum, currency) : "";
    hold.disabled = picked.length === 0;
    try { sessionStorage.setItem(storeKey, JSON.stringify(picked.map((e) => e.seat.id))); } catch (_) {}
  }

  function toggle(entry) {
    if (entry.picked) {
      entry.picked = false;
      picked.splice(picked.indexOf(entry), 1);
      entry.el.classList.remove("picked");
    } else {
      if (entry.status !== "available") {
        status.textContent = "That seat is not available.";
        return;
      }
      if (picked.length >= max) {
        status.textContent = "You can choose up to " + max + " seats.";
        return;
      }
      entry.picked = true;
      picked.push(entry);
      entry.el.classList.add("picked");
    }
    setStatus(entry, entry.status);
    render();
  }

  // Keyboard: one seat in the tab order; arrows move, Home/End go to a row's ends.
  let current = null;
  function focusSeat(entry) {
    if (!entry) return;
    if (current) current.el.setAttribute("tabindex", "-1");
    current = entry;
    entry.el.setAttribute("tabindex", "0");
    entry.el.focus();
  }
  const first = [...seats.values()].find((e) => e.status === "available") ?? seats.values().next().value;
  if (first) { current = first; first.el.setAttribute("tabindex", "0"); }
  svg.addEventListener("click", (e) => {
    const entry = seats.get(e.target?.dataset?.seat);
    if (entry) { focusSeat(entry); toggle(entry); }
  });
  svg.addEventListener("keydown", (e) => {
    const entry = seats.get(e.target?.dataset?.seat);
    if (!entry) return;
    const row = rows[entry.r];
    let next = null;
    switch (e.key) {
      case "ArrowLeft": next = row[entry.i - 1]; break;
      case "ArrowRight": next = row[entry.i + 1]; break;
      case "Home": next = row[0]; break;
      case "End": next = row[row.length - 1]; break;
      case "ArrowUp":
      case "ArrowDown": {
        const other = rows[entry.r + (e.key === "ArrowUp" ? -1 : 1)];
        if (other) {
          next = other.reduce((best, s) => Math.abs(s.seat.x - entry.seat.x) < Math.abs(best.seat.x - entry.seat.x) ? s : best);
        }
        break;
      }
      case " ":
      case "Enter":
        e.preventDefault();
        toggle(entry);
        return;
      default:
        return;
    }
    e.preventDefault();
    if (next) focusSeat(next);
  });

  // Seats picked before logging in come back if they are still free.
  try {
    for (const id of JSON.parse(sessionStorage.getItem(storeKey) || "[]")) {
      const entry = seats.get(String(id));
      if (entry && !entry.picked && entry.status === "available") toggle(entry);
    }
  } catch (_) {}
  // The picks are forgotten once checkout has them (the checkout page clears them), so a trip
  // to the log-in page or a refused hold keeps them.

  // Live statuses.
  const apply = (changes) => {
    let lost = [];
    for (const c of changes) {
      const entry = seats.get(String(c.seat_id));
      if (!entry || entry.status === c.status) continue;
      if (entry.picked && c.status !== "available") {
        entry.picked = false;
        picked.splice(picked.indexOf(entry), 1);
        entry.el.classList.remove("picked");
        lost.push("row " + (entry.seat.row ?? "") + " seat " + entry.seat.number);
      }
      setStatus(entry, c.status);
    }
    if (lost.length) {
      render();
      status.textContent = "Someone else just took " + lost.join(", ") + ".";
    }
    // After the next frame the changes are on screen: say so (with the wall-clock time), for
    // anything that measures how fast the map follows the hall.
    const ids = changes.map((c) => c.seat_id);
    requestAnimationFrame(() => {
      root.dispatchEvent(new CustomEvent("seats-painted", { detail: { ids, at: performance.timeOrigin + performance.now() } }));
    });
  };
  if ("EventSource" in window) {
    const events = new EventSource(root.dataset.stream);
    events.addEventListener("snapshot", (e) => apply(JSON.parse(e.data).seats));
    events.addEventListener("seat", (e) => {
      const data = JSON.parse(e.data);
      apply(Array.isArray(data) ? data : [data]);
    });
    events.addEventListener("open", () => { root.dataset.live = "true"; });
  }
  render();
  root.dataset.readyAt = String(performance.now());
  root.dataset.ready = "true";
}
