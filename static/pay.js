// Paying with Stripe. Stripe's Payment Element collects the card in the buyer's browser, and
// Stripe.js turns what was entered into a ConfirmationToken; the form posts only that token,
// and the server confirms the payment with it. When the bank wants the buyer to confirm
// (3-D Secure), the booking page runs that step with handleNextAction and looks again.
// Stripe.js itself is the page's classic script before this module, so `Stripe` is defined.

function checkout(form) {
  const stripe = window.Stripe(form.dataset.stripeKey);
  const elements = stripe.elements({
    mode: "payment",
    amount: Number(form.dataset.amount),
    currency: form.dataset.currency,
    paymentMethodTypes: ["card"],
  });
  elements.create("payment").mount("#payment-element");
  const message = document.getElementById("payment-message");
  const button = form.querySelector("button[type=submit]");
  button.disabled = false;
  const token = form.elements.namedItem("payment_method");
  const refuse = (error) => {
    message.textContent = error.message || "The card could not be used.";
    message.hidden = false;
    button.disabled = false;
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    button.disabled = true;
    message.hidden = true;
    try {
      const checked = await elements.submit();
      if (checked.error) return refuse(checked.error);
      const made = await stripe.createConfirmationToken({ elements });
      if (made.error) return refuse(made.error);
      token.value = made.confirmationToken.id;
      form.submit();
    } catch (_) {
      refuse({ message: "Stripe could not be reached. Check your connection and try again." });
    }
  });
}

async function bankStep(panel) {
  const stripe = window.Stripe(panel.dataset.stripeKey);
  const status = document.getElementById("bank-step-status");
  let result;
  try {
    result = await stripe.handleNextAction({ clientSecret: panel.dataset.clientSecret });
  } catch (_) {
    result = { error: { message: "Your bank's check could not be opened." } };
  }
  if (result.paymentIntent) {
    // Done at the bank: the page asks again and shows the outcome.
    status.textContent = "Your bank confirmed. Checking the payment…";
    location.reload();
    return;
  }
  // Declined or failed here: the next look at the page tells, and the buyer chooses when.
  status.textContent = result.error.message || "Your bank did not confirm the payment.";
  document.getElementById("bank-step-again").hidden = false;
}

// A failing check reloads only on the buyer's word, so an error never loops.
const form = document.querySelector("form[data-stripe-key]");
const panel = document.querySelector("[data-client-secret]");
if (window.Stripe) {
  if (form) checkout(form);
  if (panel) bankStep(panel);
} else {
  const said = form ? document.getElementById("payment-message") : document.getElementById("bank-step-status");
  if (said) {
    said.textContent = "Stripe, our payment provider, could not be reached. Check your connection and reload the page.";
    said.hidden = false;
  }
}
