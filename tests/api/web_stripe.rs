//! Paying with Stripe in a real browser: the checkout page loads Stripe.js (the test stand-in
//! of `tests/support`, under the page's Content-Security-Policy), the buyer types into the
//! Payment Element, the page posts only a ConfirmationToken, and the server confirms the
//! PaymentIntent with it. A card Stripe refuses before any payment, a declined card, a bank's
//! 3-D Secure check failed and then passed, and tickets at the end.

use crate::booking::seat_ids;
use crate::browser::{Browser, Viewport};
use crate::helpers::{Db, TestApp};
use crate::support::stripe_standin::StripeStandin;
use boxoffice::config::{Secret, StripeSettings};
use serde_json::json;

const SECRET_KEY: &str = "sk_test_pages";
const PASSWORD: &str = "correct horse battery";
const ENTER: &str = "\u{E007}";
/// Stripe's test card that asks for 3-D Secure on every payment.
const THREE_D_SECURE: &str = "4000 0025 0000 3155";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_pays_in_the_payment_element_and_passes_the_bank_check() {
    let standin = StripeStandin::start(SECRET_KEY).await;
    let app = TestApp::spawn_with(Db::Sqlite, |config| {
        config.stripe = Some(StripeSettings {
            secret_key: Secret::new(SECRET_KEY),
            webhook_secret: Secret::new("whsec_pages"),
            api_base: Some(standin.base_url().to_owned()),
            publishable_key: Some(standin.publishable_key()),
            js_url: standin.js_url(),
        });
    })
    .await;
    let admin = app.admin().await;
    let (_, show) = app.scheduled_show(&admin, 1, 6, 0).await;
    let show_id = show["id"].as_str().expect("show id").to_owned();
    let seats = seat_ids(&app.seat_map(&show).await, 0);
    let Some(b) = Browser::start(Viewport::Desktop).await else {
        return;
    };
    let email = format!("stripe{:x}@example.com", rand::random::<u64>());
    app.register(&email, PASSWORD).await.ok(201);
    b.goto(&format!("{}/login?next=/shows/{show_id}", app.base))
        .await;
    b.type_into("email", &email).await;
    b.type_into("password", &format!("{PASSWORD}{ENTER}")).await;
    b.wait_for("document.getElementById('seatmap')?.dataset.ready === 'true'")
        .await;
    b.click(&format!("circle[data-seat='{}']", seats[2])).await;
    b.wait_for("document.querySelectorAll('#picked li').length === 1")
        .await;
    b.click("#hold").await;
    // Stripe.js loaded under the page's policy and mounted its card field.
    b.wait_for("document.getElementById('standin-card-number') !== null")
        .await;
    b.screenshot("web-checkout-stripe").await;

    // A number Stripe refuses outright: the page says so and posts nothing.
    b.type_into("standin-card-number", "1234 5678 9012 3456")
        .await;
    b.click("#pay").await;
    b.wait_for("document.getElementById('payment-message')?.hidden === false")
        .await;
    assert_eq!(
        b.text("payment-message").await,
        "Your card number is incorrect."
    );
    assert!(intents(&standin).is_empty(), "no payment was attempted");

    // A declined card: the server's checkout says so, the seats stay held.
    b.type_into("standin-card-number", "4000 0000 0000 0002")
        .await;
    b.click("#pay").await;
    b.wait_for("document.getElementById('payment-error') !== null")
        .await;
    assert!(b.text("payment-error").await.contains("declined"));

    // The bank asks for 3-D Secure, and the buyer fails it: nothing charged, try again.
    b.wait_for("document.getElementById('standin-card-number') !== null")
        .await;
    b.type_into("standin-card-number", THREE_D_SECURE).await;
    b.click("#pay").await;
    b.wait_for("location.pathname.startsWith('/bookings/') && document.querySelector('dialog[open]') !== null")
        .await;
    assert_eq!(b.text("booking-status").await, "Waiting for your payment");
    // An organiser looking at the booking gets no bank step, and the provider is not asked.
    let path: String = b
        .js("return location.pathname;", vec![])
        .await
        .as_str()
        .expect("path")
        .to_owned();
    let asked = standin.requests().len();
    let mut organiser = crate::web::WebClient::new(&app);
    organiser.use_session(&admin);
    let seen = organiser.get(&path).await;
    assert!(seen.ok().contains("Waiting for your payment"));
    assert!(!seen.html.contains("data-client-secret"), "{}", seen.html);
    assert_eq!(standin.requests().len(), asked, "no call to the provider");

    b.click_button("Fail").await;
    // The page says so and waits for the buyer, rather than looking again by itself.
    b.wait_for("document.getElementById('bank-step-again')?.hidden === false")
        .await;
    assert_eq!(
        b.text("bank-step-status").await,
        "We are unable to authenticate your payment method."
    );
    b.click("#bank-step-again").await;
    b.wait_for("document.getElementById('booking-status')?.textContent === 'Payment failed'")
        .await;
    assert_eq!(
        b.text("failure").await,
        "Your bank did not confirm the payment. Nothing was charged."
    );
    b.click("#retry").await;

    // Again, and this time the buyer confirms with the bank: tickets.
    b.wait_for("document.getElementById('standin-card-number') !== null")
        .await;
    b.type_into("standin-card-number", THREE_D_SECURE).await;
    b.click("#pay").await;
    b.wait_for("document.querySelector('dialog[open]') !== null")
        .await;
    b.click_button("Complete").await;
    b.wait_for("document.getElementById('booking-status')?.textContent === 'Confirmed'")
        .await;
    let qr = b
        .js(
            "return document.querySelectorAll('.ticket img').length;",
            vec![],
        )
        .await;
    assert_eq!(qr, json!(1), "one ticket");
    let map = app.seat_map(&show).await;
    assert_eq!(map["sections"][0]["available"], 5, "one seat sold");

    // The server only ever confirmed with tokens, by its secret key; the card numbers went
    // from the browser to Stripe alone, with the publishable key.
    let made = intents(&standin);
    assert_eq!(made.len(), 3, "declined, failed check, passed check");
    for request in &made {
        assert!(
            request
                .param("confirmation_token")
                .is_some_and(|t| t.starts_with("ctoken_")),
            "{request:?}"
        );
        assert_eq!(request.param("payment_method_types[]"), Some("card"));
        assert_eq!(request.param("automatic_payment_methods[enabled]"), None);
        assert_eq!(
            request.authorization.as_deref(),
            Some(format!("Bearer {SECRET_KEY}").as_str())
        );
        assert!(request.form.iter().all(|(k, _)| !k.contains("number")));
    }
    for request in standin.requests() {
        if request.path == "/v1/confirmation_tokens" {
            assert_eq!(request.authorization, None, "made in the browser");
            assert_eq!(
                request.param("key"),
                Some(standin.publishable_key().as_str())
            );
        }
    }
    b.close().await;
}

/// The PaymentIntents the server asked for.
fn intents(standin: &StripeStandin) -> Vec<crate::support::stripe_standin::RecordedRequest> {
    standin
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/payment_intents")
        .collect()
}
