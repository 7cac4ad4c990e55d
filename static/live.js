// Live places: the waiting room's queue entry and a waitlist entry, each followed over its
// Server-Sent Events stream. Without JavaScript the queue page refreshes itself instead.

function eta(seconds) {
  if (seconds == null) return "We will know your wait once the line starts moving.";
  if (seconds === 0) return "Any moment now.";
  if (seconds < 90) return "About " + seconds + " seconds.";
  if (seconds < 5400) return "About " + Math.ceil(seconds / 60) + " minutes.";
  return "About " + Math.ceil(seconds / 3600) + " hours.";
}

const queue = document.getElementById("queue");
if (queue && queue.dataset.stream) {
  const position = document.getElementById("queue-position");
  const when = document.getElementById("queue-eta");
  const state = document.getElementById("queue-state");
  const events = new EventSource(queue.dataset.stream);
  events.addEventListener("entry", (e) => {
    const entry = JSON.parse(e.data);
    queue.dataset.state = entry.state;
    if (entry.state === "admitted") {
      events.close();
      state.textContent = "It's your turn! Taking you to the seat map…";
      // The server turns the admission into a cookie and sends the buyer on to the show.
      location.assign(queue.dataset.admitted);
      return;
    }
    if (entry.state === "waiting") {
      if (position) position.textContent = String(entry.position);
      if (when) when.textContent = eta(entry.eta_seconds);
    } else if (entry.state === "sold_out") {
      events.close();
      state.textContent = "Sorry, this show has sold out.";
    } else if (entry.state === "expired") {
      events.close();
      state.textContent = "Your place lapsed. Reload the page to join again.";
    }
  });
}

const waitlist = document.getElementById("waitlist");
if (waitlist && waitlist.dataset.events) {
  const state = document.getElementById("waitlist-state");
  const offer = document.getElementById("waitlist-offer");
  const link = document.getElementById("waitlist-checkout");
  const events = new EventSource(waitlist.dataset.events);
  events.addEventListener("entry", (e) => {
    const entry = JSON.parse(e.data);
    waitlist.dataset.state = entry.state;
    if (entry.state === "offered" && entry.hold_id) {
      events.close();
      link.href = "/holds/" + entry.hold_id;
      offer.hidden = false;
      state.textContent = "Seats were returned and are held for you. Go to checkout to pay for them.";
    } else if (entry.state === "waiting") {
      state.textContent = "You are number " + entry.position + " on the waitlist for " + entry.quantity + " tickets.";
    } else {
      events.close();
      state.textContent = entry.state === "sold_out" ? "Sorry, this show has sold out." : "Your waitlist place has ended.";
    }
  });
}
