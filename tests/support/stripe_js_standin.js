// A stand-in for Stripe.js v3 in tests: the part of its interface a checkout page with the
// Payment Element uses, talking to the Stripe stand-in that serves this file. The card field
// is a plain input in the page (Stripe's is a frame from its own origin), and the 3-D Secure
// challenge is a dialog with Stripe's test-mode "Complete" and "Fail" buttons.
(function () {
  const api = new URL(document.currentScript.src).origin;

  async function post(path, key, fields) {
    const body = new URLSearchParams(Object.assign({ key }, fields));
    const answer = await fetch(api + path, { method: "POST", body });
    const json = await answer.json();
    return answer.ok ? { ok: json } : { error: json.error };
  }

  function paymentElement(state) {
    return {
      mount(target) {
        const host = typeof target === "string" ? document.querySelector(target) : target;
        const label = document.createElement("label");
        label.htmlFor = "standin-card-number";
        label.textContent = "Card number";
        const input = document.createElement("input");
        input.id = "standin-card-number";
        input.inputMode = "numeric";
        input.autocomplete = "cc-number";
        host.replaceChildren(label, input);
        state.input = input;
      },
    };
  }

  function challenge() {
    return new Promise((resolve) => {
      const dialog = document.createElement("dialog");
      dialog.setAttribute("aria-labelledby", "standin-3ds-title");
      const title = document.createElement("h2");
      title.id = "standin-3ds-title";
      title.textContent = "3D Secure test payment";
      dialog.append(title);
      for (const [name, outcome] of [["Complete", "complete"], ["Fail", "fail"]]) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = name;
        button.addEventListener("click", () => {
          dialog.close();
          dialog.remove();
          resolve(outcome);
        });
        dialog.append(button);
      }
      document.body.append(dialog);
      dialog.showModal();
    });
  }

  window.Stripe = function (key) {
    return {
      elements(options) {
        if (!options || options.mode !== "payment" || !(options.amount > 0) || !options.currency) {
          throw new Error("IntegrationError: elements() needs mode, amount and currency");
        }
        const state = { input: null };
        return {
          state,
          create(type) {
            if (type !== "payment") throw new Error("IntegrationError: unknown element " + type);
            return paymentElement(state);
          },
          async submit() {
            const number = state.input ? state.input.value.trim() : "";
            if (!number) {
              return { error: { type: "validation_error", message: "Your card number is incomplete." } };
            }
            return {};
          },
        };
      },
      async createConfirmationToken({ elements }) {
        const number = elements.state.input ? elements.state.input.value : "";
        const made = await post("/v1/confirmation_tokens", key, {
          "payment_method_data[type]": "card",
          "payment_method_data[card][number]": number,
        });
        return made.ok ? { confirmationToken: made.ok } : { error: made.error };
      },
      async handleNextAction({ clientSecret }) {
        const id = clientSecret.split("_secret_")[0];
        const outcome = await challenge();
        const done = await post("/v1/payment_intents/" + id + "/standin_authenticate", key, {
          client_secret: clientSecret,
          outcome,
        });
        if (done.error) return { error: done.error };
        if (done.ok.status !== "succeeded") return { error: done.ok.last_payment_error };
        return { paymentIntent: done.ok };
      },
    };
  };
})();
