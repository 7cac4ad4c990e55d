//! The door page (`/door`): what staff at a gate use to check tickets in from a phone or a
//! laptop with a handheld scanner. One self-contained page, no external assets.
//!
//! - Staff log in on the page (the token stays in the tab's session storage).
//! - A code arrives from a handheld scanner (which types it and presses Enter), from the camera
//!   (where the browser has `BarcodeDetector`), or typed; it is posted to
//!   `POST /api/v1/checkins` and the answer is shown large and announced to screen readers.
//! - Without a network, the page verifies codes itself with the keys and revocation list it
//!   downloaded for the show (Ed25519 through WebCrypto, where the browser has it), keeps the
//!   scans, and syncs them with their `scanned_at` when the network is back; the server then
//!   reports any ticket another gate admitted first.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/door", get(door))
}

async fn door() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Door check-in · Box Office</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 40rem; padding: 1rem; }
  fieldset { border: 1px solid #bbb; border-radius: .4rem; margin: 0 0 1rem; }
  label { display: block; margin: .4rem 0 .1rem; font-weight: 600; }
  input, button { font-size: 1.1rem; padding: .45rem; box-sizing: border-box; }
  input { width: 100%; }
  button { margin-top: .6rem; cursor: pointer; }
  #result { font-size: 1.6rem; font-weight: 700; padding: 1.2rem; border-radius: .5rem;
            margin: 1rem 0; min-height: 2rem; }
  .admitted { background: #0b6b2e; color: #fff; }
  .conflict { background: #9a5b00; color: #fff; }
  .void, .refused { background: #a4161a; color: #fff; }
  .idle { background: #eee; color: #222; }
  .detail { font-size: 1rem; font-weight: 400; display: block; margin-top: .4rem; }
  video { width: 100%; max-height: 18rem; background: #000; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<h1>Door check-in</h1>

<form id="login">
  <fieldset>
    <legend>Staff login</legend>
    <label for="email">Email</label>
    <input id="email" type="email" autocomplete="username" required>
    <label for="password">Password</label>
    <input id="password" type="password" autocomplete="current-password" required>
    <button type="submit">Log in</button>
  </fieldset>
</form>

<form id="door" hidden>
  <fieldset>
    <legend>This door</legend>
    <label for="show">Show id</label>
    <input id="show" inputmode="numeric" required>
    <label for="gate">Gate</label>
    <input id="gate" maxlength="100" placeholder="North 1">
    <button type="submit">Open the door</button>
  </fieldset>
</form>

<section id="scanning" hidden aria-labelledby="scan-heading">
  <h2 id="scan-heading">Scan tickets</h2>
  <p id="mode"></p>
  <form id="scan">
    <label for="code">Ticket code</label>
    <input id="code" autocomplete="off" autocapitalize="characters" spellcheck="false" required>
    <button type="submit">Check in</button>
    <button type="button" id="camera" hidden>Use the camera</button>
  </form>
  <video id="video" hidden playsinline muted></video>
  <div id="result" class="idle" role="status" aria-live="assertive" aria-atomic="true">Ready</div>
  <p id="queue"></p>
</section>

<script>
"use strict";
const $ = (id) => document.getElementById(id);
const api = "/api/v1";
let token = sessionStorage.getItem("door.token");
let door = JSON.parse(sessionStorage.getItem("door.config") || "null");
let keys = null;          // {id -> CryptoKey} for offline checks
let revoked = new Set();  // ticket ids
const queueKey = "door.queue";
const seenOffline = new Set();

function show(kind, title, detail) {
  const r = $("result");
  r.className = kind;
  r.textContent = title;
  if (detail) {
    const d = document.createElement("span");
    d.className = "detail";
    d.textContent = detail;
    r.appendChild(d);
  }
}

function queue() { return JSON.parse(localStorage.getItem(queueKey) || "[]"); }
function setQueue(q) {
  localStorage.setItem(queueKey, JSON.stringify(q));
  $("queue").textContent = q.length ? q.length + " offline scan(s) waiting to sync" : "";
}

async function call(method, path, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = "Bearer " + token;
  const resp = await fetch(api + path, { method, headers, body: body && JSON.stringify(body) });
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
  if (c.show !== door.show) return { ok: false, why: "for another show" };
  if (revoked.has(c.ticket)) return { ok: false, revoked: true, why: "revoked" };
  return { ok: true, ticket: c.ticket };
}

async function loadKeys() {
  const r = await call("GET", "/shows/" + encodeURIComponent(door.show) + "/checkin-keys");
  if (r.status !== 200) throw new Error((r.body && r.body.detail) || "cannot load the keys");
  revoked = new Set(r.body.revoked);
  keys = {};
  if (window.crypto && crypto.subtle) {
    for (const k of r.body.keys) {
      const raw = base64url(k.public_key);
      try { keys[k.id] = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]); }
      catch (_) { keys = null; break; }  // this browser cannot verify offline
    }
  } else { keys = null; }
  $("mode").textContent = keys ? "Online; offline checks ready if the network drops."
                               : "Online only: this browser cannot verify codes offline.";
}
function base64url(s) {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

async function checkIn(code) {
  code = code.trim().toUpperCase();
  if (!code) return;
  const body = { code, show_id: door.show };
  if (door.gate) body.gate = door.gate;
  let r;
  try { r = await call("POST", "/checkins", body); }
  catch (_) { return offlineScan(code); }
  answer(r);
}

function answer(r) {
  const b = r.body || {};
  if (r.status === 200) show("admitted", "Admitted", b.seat && b.seat.label);
  else if (r.status === 409 && b.first_scan)
    show("conflict", "Already checked in",
         "at " + (b.first_scan.gate || "an unnamed gate") + ", " + b.first_scan.scanned_at);
  else if (r.status === 409) show("refused", "Not for this show", b.detail);
  else if (r.status === 410) show("void", "Void ticket", b.detail);
  else if (r.status === 422) show("refused", "Not a valid ticket", (b.errors && b.errors[0] && b.errors[0].message) || b.detail);
  else if (r.status === 401 || r.status === 403) { show("refused", "Log in again", b.detail); logout(); }
  else show("refused", "Error " + r.status, b.detail);
}

async function offlineScan(code) {
  if (!keys) return show("refused", "No network", "this browser cannot check tickets offline");
  const v = await verifyOffline(code);
  if (!v.ok) return show(v.revoked ? "void" : "refused", v.revoked ? "Void ticket" : "Not a valid ticket", v.why + " (offline)");
  if (seenOffline.has(v.ticket)) return show("conflict", "Already checked in", "at this gate (offline)");
  seenOffline.add(v.ticket);
  const q = queue();
  q.push({ code, show_id: door.show, gate: door.gate || undefined, scanned_at: new Date().toISOString() });
  setQueue(q);
  show("admitted", "Admitted (offline)", "will sync when the network is back");
}

async function sync() {
  const q = queue();
  if (!q.length || !token) return;
  const left = [];
  for (const scan of q) {
    try {
      const r = await call("POST", "/checkins", scan);
      if (r.status === 409 && r.body && r.body.first_scan)
        show("conflict", "Synced: a ticket was used twice",
             "first at " + (r.body.first_scan.gate || "an unnamed gate") + ", " + r.body.first_scan.scanned_at);
    } catch (_) { left.push(scan); }
  }
  setQueue(left);
}

function logout() {
  token = null; sessionStorage.removeItem("door.token");
  render();
}

function render() {
  $("login").hidden = !!token;
  $("door").hidden = !token || !!door;
  $("scanning").hidden = !token || !door;
  if (token && door) {
    $("scan-heading").textContent = "Scan tickets — show " + door.show + (door.gate ? ", " + door.gate : "");
    loadKeys().catch((e) => { $("mode").textContent = e.message; });
    $("code").focus();
    $("camera").hidden = !("BarcodeDetector" in window);
  }
}

$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const r = await call("POST", "/sessions", { email: $("email").value, password: $("password").value });
  if (r.status !== 201) return alert((r.body && r.body.detail) || "login failed");
  if (!["staff", "admin"].includes(r.body.user.role)) return alert("this account cannot check tickets in");
  token = r.body.token; sessionStorage.setItem("door.token", token);
  render();
});
$("door").addEventListener("submit", (e) => {
  e.preventDefault();
  door = { show: $("show").value.trim(), gate: $("gate").value.trim() };
  sessionStorage.setItem("door.config", JSON.stringify(door));
  render();
});
$("scan").addEventListener("submit", async (e) => {
  e.preventDefault();
  const code = $("code").value;
  $("code").value = "";
  await checkIn(code);
  $("code").focus();
});
$("camera").addEventListener("click", async () => {
  const video = $("video");
  const detector = new BarcodeDetector({ formats: ["qr_code"] });
  video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  video.hidden = false;
  await video.play();
  let last = "", lastAt = 0;
  setInterval(async () => {
    const found = await detector.detect(video).catch(() => []);
    if (!found.length) return;
    const code = found[0].rawValue;
    if (code === last && Date.now() - lastAt < 3000) return;
    last = code; lastAt = Date.now();
    await checkIn(code);
  }, 300);
});
window.addEventListener("online", sync);
setInterval(sync, 15000);
setQueue(queue());
render();
</script>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_checks_in_through_the_api_and_knows_the_code_format() {
        // The page's offline check must stay in step with `tickets::code`.
        let domain = std::str::from_utf8(crate::tickets::code::DOMAIN).unwrap();
        assert!(super::PAGE.contains(&format!("encode(\"{domain}\")")));
        assert!(super::PAGE.contains("\"/checkins\""));
        assert!(super::PAGE.contains("role=\"status\" aria-live=\"assertive\""));
    }
}
