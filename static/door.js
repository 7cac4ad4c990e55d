"use strict";
const $ = (id) => document.getElementById(id);
const api = "/api/v1";
const TIMEOUT_MS = 5000;  // a request slower than this counts as no network
let token = sessionStorage.getItem("door.token");
let who = sessionStorage.getItem("door.who") || "";
let door = JSON.parse(sessionStorage.getItem("door.config") || "null");
let keys = null;          // {id -> CryptoKey} for offline checks
let revoked = new Set();  // ticket ids
let online = true;
let scans = 0;
const queueKey = "door.queue";

function stored(key, fallback) { return JSON.parse(sessionStorage.getItem(key) || "null") || fallback; }
function tallyKey() { return "door.tally." + door.show; }
function seenKey() { return "door.seen." + door.show; }
function tally() { return stored(tallyKey(), { admitted: 0, refused: 0 }); }
function count(outcome) {
  const t = tally();
  t[outcome] += 1;
  sessionStorage.setItem(tallyKey(), JSON.stringify(t));
  showTally();
}
function showTally() {
  const t = tally();
  $("count-here").textContent = t.admitted + " in · " + t.refused + " refused";
}
// Tickets this device saw admitted, so an offline scan can still catch a second entry.
function seen() { return new Set(stored(seenKey(), [])); }
function remember(ticket) {
  const s = seen(); s.add(String(ticket));
  sessionStorage.setItem(seenKey(), JSON.stringify([...s]));
}

// A scan's time: to the second, with the day only when it is not today.
function when(rfc3339) {
  const d = new Date(rfc3339);
  if (isNaN(d)) return rfc3339;
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}
// A show's start: day and minute.
function starts(rfc3339) {
  const d = new Date(rfc3339);
  if (isNaN(d)) return rfc3339;
  return d.toLocaleString([], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}
function seatText(seat) {
  if (!seat) return "";
  return seat.label || [seat.section, seat.row && ("row " + seat.row), seat.number && ("seat " + seat.number)]
    .filter(Boolean).join(", ");
}

function show(kind, outcome, title, detail) {
  const r = $("result");
  scans += 1;
  r.className = kind;
  r.dataset.outcome = outcome;
  r.textContent = title;
  if (detail) {
    const d = document.createElement("span");
    d.className = "detail";
    d.textContent = detail.charAt(0).toUpperCase() + detail.slice(1);
    r.appendChild(d);
  }
  const t = document.createElement("span");
  t.className = "detail small";
  t.textContent = "Scan " + scans + " · " + new Date().toLocaleTimeString();
  r.appendChild(t);
  void r.offsetWidth;  // restart the flash, so two answers in a row look like two
  r.classList.add("flash");
}

function queue() { return JSON.parse(localStorage.getItem(queueKey) || "[]"); }
function setQueue(q) {
  localStorage.setItem(queueKey, JSON.stringify(q));
  $("queue").textContent = q.length ? q.length + " offline scan" + (q.length === 1 ? "" : "s") + " waiting to sync" : "";
}
function setOnline(up) {
  online = up;
  const m = $("mode");
  m.classList.toggle("offline", !up);
  $("count-in-label").textContent = up ? "Checked in (all gates)" : "Checked in (all gates, before going offline)";
  if (!up) m.textContent = keys ? "Offline: checking codes on this device; scans sync when the network is back."
                                : "Offline, and this browser cannot check codes by itself.";
  else m.textContent = keys ? "Online; offline checks ready if the network drops."
                            : "Online only: this browser cannot verify codes offline.";
}

// Throws when there is no answer (no network, or none within TIMEOUT_MS).
async function call(method, path, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = "Bearer " + token;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  let resp;
  try {
    resp = await fetch(api + path, { method, headers, body: body && JSON.stringify(body), signal: abort.signal });
  } finally { clearTimeout(timer); }
  let json = null;
  try { json = await resp.json(); } catch (_) {}
  return { status: resp.status, body: json };
}

// Base32 (RFC 4648, no padding) and the ticket payload, as in src/tickets/code.rs.
function base32(text) {
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const out = [];
  let acc = 0, bits = 0;
  for (const ch of text) {
    const v = abc.indexOf(ch);
    if (v < 0) return null;
    acc = ((acc << 5) | v) & 0xfff; bits += 5;
    if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 0xff); }
  }
  return new Uint8Array(out);
}
function parseCode(code) {
  const bytes = base32(code.trim());
  if (!bytes || bytes.length <= 64 || bytes[0] !== 1) return null;
  const payload = bytes.slice(0, bytes.length - 64);
  let at = 1;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (at >= payload.length) return null;
      const b = payload[at++];
      v |= BigInt(b & 0x7f) << shift; shift += 7n;
      if (!(b & 0x80)) return v;
    }
    return null;
  };
  const keyId = varint(), ticket = varint(), showId = varint(), seat = varint();
  if (keyId === null || ticket === null || showId === null || seat === null) return null;
  if (at + 8 !== payload.length) return null;
  const view = new DataView(payload.buffer, payload.byteOffset + at, 8);
  return { payload, signature: bytes.slice(bytes.length - 64), keyId: String(keyId),
           ticket: String(ticket), show: String(showId), from: view.getUint32(0), until: view.getUint32(4) };
}
async function verifyOffline(code) {
  const c = parseCode(code);
  if (!c) return { ok: false, why: "not a ticket code" };
  const key = keys && keys[c.keyId];
  if (!key) return { ok: false, why: "signed by an unknown key" };
  const msg = new Uint8Array([...new TextEncoder().encode("boxoffice-ticket-v1:"), ...c.payload]);
  let good = false;
  try { good = await crypto.subtle.verify("Ed25519", key, c.signature, msg); } catch (_) {}
  if (!good) return { ok: false, why: "the signature is not valid" };
  const now = Math.floor(Date.now() / 1000);
  if (now < c.from || now > c.until) return { ok: false, why: "not valid at this time" };
  if (c.show !== door.show) return { ok: false, why: "for show " + c.show + ", not this one" };
  if (revoked.has(c.ticket)) return { ok: false, revoked: true, why: "revoked" };
  return { ok: true, ticket: c.ticket };
}

async function loadKeys() {
  const r = await call("GET", "/shows/" + encodeURIComponent(door.show) + "/checkin-keys");
  if (r.status !== 200) throw new Error((r.body && r.body.detail) || "cannot load the keys");
  revoked = new Set(r.body.revoked.map(String));
  let loaded = {};
  if (window.crypto && crypto.subtle) {
    for (const k of r.body.keys) {
      const raw = base64url(k.public_key);
      try { loaded[k.id] = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]); }
      catch (_) { loaded = null; break; }  // this browser cannot verify offline
    }
  } else { loaded = null; }
  keys = loaded;
  setOnline(true);
}
function base64url(s) {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

async function refreshCounts() {
  if (!token || !door) return;
  let r;
  try { r = await call("GET", "/shows/" + encodeURIComponent(door.show) + "/checkins"); }
  catch (_) { return; }
  if (r.status === 200)
    $("count-in").textContent = r.body.checked_in + " of " + r.body.sold;
}

async function checkIn(code) {
  code = code.trim().toUpperCase();
  if (!code) return;
  const body = { code, show_id: door.show };
  if (door.gate) body.gate = door.gate;
  let r;
  try { r = await call("POST", "/checkins", body); }
  catch (_) { setOnline(false); return offlineScan(code); }
  if (!online) { setOnline(true); sync(); }
  answer(r);
  refreshCounts();
}

function answer(r) {
  const b = r.body || {};
  if (r.status === 200) {
    remember(b.ticket_id); count("admitted");
    return show("admitted", "admitted", "Admitted", seatText(b.seat));
  }
  if (r.status === 401 || r.status === 403) {
    logout();
    $("login-error").textContent = "Your login has ended (" + (b.detail || r.status) + "). Log in again.";
    return;
  }
  count("refused");
  if (r.status === 409 && b.first_scan) {
    if (b.ticket_id) remember(b.ticket_id);
    show("conflict", "already", "Already checked in",
         (seatText(b.seat) ? seatText(b.seat) + " · " : "") + "first scan: " +
         (b.first_scan.gate || "an unnamed gate") + ", " + when(b.first_scan.scanned_at));
  }
  else if (r.status === 409) show("refused", "wrong-show", "Not for this show", b.detail);
  else if (r.status === 410) show("void", "void", "Void ticket", b.detail);
  else if (r.status === 422) show("refused", "invalid", "Not a valid ticket", (b.errors && b.errors[0] && b.errors[0].message) || b.detail);
  else show("refused", "error", "Error " + r.status, b.detail);
}

async function offlineScan(code) {
  if (!keys) return show("refused", "error", "No network", "this browser cannot check tickets offline");
  const v = await verifyOffline(code);
  if (!v.ok) {
    count("refused");
    return show(v.revoked ? "void" : "refused", v.revoked ? "void" : "invalid",
                v.revoked ? "Void ticket" : "Not a valid ticket", v.why + " (checked offline)");
  }
  if (seen().has(v.ticket)) {
    count("refused");
    return show("conflict", "already", "Already checked in", "at this device (checked offline)");
  }
  remember(v.ticket);
  count("admitted");
  const q = queue();
  q.push({ code, show_id: door.show, gate: door.gate || undefined, scanned_at: new Date().toISOString() });
  setQueue(q);
  show("admitted", "admitted-offline", "Admitted", "checked offline; syncs when the network is back");
}

let syncing = null;
function sync() {
  if (!syncing) syncing = doSync().finally(() => { syncing = null; });
  return syncing;
}
async function doSync() {
  const q = queue();
  if (!q.length || !token) return;
  const left = [];
  for (const scan of q) {
    let r;
    try { r = await call("POST", "/checkins", scan); }
    catch (_) { left.push(scan); continue; }
    // Kept for later: no answer worth acting on yet (logged out, overloaded, down).
    if ([401, 403, 408, 429].includes(r.status) || r.status >= 500) { left.push(scan); continue; }
    const b = r.body || {};
    const mine = b.first_scan && b.this_scan && b.first_scan.gate === b.this_scan.gate &&
                 b.first_scan.scanned_at === b.this_scan.scanned_at;  // our own scan, synced before
    if (r.status === 409 && b.first_scan && !mine)
      show("conflict", "synced-conflict", "Synced: a ticket was used twice",
           (seatText(b.seat) ? seatText(b.seat) + " · " : "") + "first at " +
           (b.first_scan.gate || "an unnamed gate") + ", " + when(b.first_scan.scanned_at));
  }
  setQueue(left);
  if (left.length < q.length) { setOnline(true); refreshCounts(); }
}

async function logout() {
  if (token) call("DELETE", "/sessions/current").catch(() => {});
  token = null; who = "";
  sessionStorage.removeItem("door.token"); sessionStorage.removeItem("door.who");
  render();
}

function render() {
  $("login").hidden = !!token;
  $("door").hidden = !token || !!door;
  $("scanning").hidden = !token || !door;
  $("logout").hidden = !token;
  $("who").textContent = token ? who : "";
  if (token && !door) $("show").focus();
  if (!token) $("email").focus();
  if (token && door) {
    $("scan-heading").textContent = "Show " + door.show + (door.gate ? " · " + door.gate : "");
    $("show-info").textContent = door.title || "";
    showTally();
    $("count-in").textContent = "–";
    loadKeys().catch((e) => { $("mode").textContent = e.message || "cannot load the keys"; });
    refreshCounts();
    $("code").focus();
    $("camera").hidden = !("BarcodeDetector" in window);
  }
}

$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const err = $("login-error");
  err.textContent = "";
  if (!$("email").value || !$("password").value) { err.textContent = "Enter your email and password."; return; }
  let r;
  try { r = await call("POST", "/sessions", { email: $("email").value, password: $("password").value }); }
  catch (_) { err.textContent = "No network: cannot log in."; return; }
  if (r.status !== 201) { err.textContent = (r.body && r.body.detail) || "Login failed."; return; }
  if (!["staff", "admin"].includes(r.body.user.role)) {
    err.textContent = "This account cannot check tickets in: ask an admin to make it door staff.";
    return;
  }
  token = r.body.token; sessionStorage.setItem("door.token", token);
  who = r.body.user.name || r.body.user.email; sessionStorage.setItem("door.who", who);
  $("password").value = "";
  render();
  sync();
});
$("door").addEventListener("submit", async (e) => {
  e.preventDefault();
  const err = $("door-error");
  err.textContent = "";
  const id = $("show").value.trim();
  if (!/^[0-9]+$/.test(id)) { err.textContent = "The show number is digits only."; return; }
  let r;
  try { r = await call("GET", "/shows/" + id); }
  catch (_) { err.textContent = "No network: cannot open the door."; return; }
  if (r.status === 404) { err.textContent = "There is no show " + id + "."; return; }
  if (r.status !== 200) { err.textContent = (r.body && r.body.detail) || "Cannot open the door."; return; }
  const s = r.body;
  const title = [s.event && s.event.title, s.venue && s.venue.name, starts(s.starts_at)].filter(Boolean).join(" · ");
  door = { show: id, gate: $("gate").value.trim(), title };
  sessionStorage.setItem("door.config", JSON.stringify(door));
  render();
});
$("change").addEventListener("click", () => {
  if (door) { $("show").value = door.show; $("gate").value = door.gate || ""; }
  door = null; sessionStorage.removeItem("door.config");
  $("result").className = "idle"; $("result").textContent = "Ready to scan";
  render();
});
$("logout").addEventListener("click", () => logout());
$("scan").addEventListener("submit", async (e) => {
  e.preventDefault();
  const code = $("code").value;
  $("code").value = "";
  await checkIn(code);
  $("code").focus();
});
let scanning = null;
$("camera").addEventListener("click", async () => {
  const video = $("video");
  if (scanning) {  // second press: stop the camera
    clearInterval(scanning); scanning = null;
    video.srcObject && video.srcObject.getTracks().forEach((t) => t.stop());
    video.hidden = true; $("camera").textContent = "Use the camera";
    return;
  }
  try {
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.hidden = false;
    await video.play();
    $("camera").textContent = "Stop the camera";
    let last = "", lastAt = 0, busy = false;
    scanning = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        const found = await detector.detect(video).catch(() => []);
        if (!found.length) return;
        const code = found[0].rawValue;
        if (code === last && Date.now() - lastAt < 3000) return;
        last = code; lastAt = Date.now();
        await checkIn(code);
      } finally { busy = false; }
    }, 300);
  } catch (e) {
    show("refused", "error", "Camera unavailable", e.message || String(e));
  }
});
window.addEventListener("online", () => sync());
window.addEventListener("offline", () => setOnline(false));
setInterval(() => { sync(); refreshCounts(); }, 15000);
setQueue(queue());
render();
