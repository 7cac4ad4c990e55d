//! Notifications: booking confirmation, cancellation and refund emails, produced by an outbox
//! worker that follows the change feed.
//!
//! Mail goes through a [`MailTransport`]: SMTP (`lettre`) when `BOXOFFICE_SMTP_URL` is set,
//! otherwise `.eml` files in `<data dir>/mail`. Each message has a key (`booking-42-confirmed`)
//! recorded in `sent_mail` after delivery and checked before it, and the folder transport names
//! files by that key, so a crash or restart between delivering and recording writes the same
//! file again rather than a second email. Over SMTP that window can still repeat a message
//! once (at-least-once), which the deterministic Message-ID lets receivers de-duplicate.
//! Only one instance sends at a time: the worker holds a lease on the `mailer` cursor.

use crate::clock::Clock;
use crate::domain::booking::BookingStatus;
use crate::domain::{rfc3339, BookingId, WaitlistId};
use crate::feed::Follower;
use crate::store::{BookingMail, DynStore, OfferMail};
use futures::future::BoxFuture;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// One way of delivering a finished message.
pub trait MailTransport: Send + Sync + 'static {
    /// Delivers `message` (RFC 5322 bytes, built by lettre); `key` identifies it for good.
    fn deliver<'a>(
        &'a self,
        key: &'a str,
        message: &'a lettre::Message,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// Writes each message to `<folder>/<key>.eml`, atomically (temporary file + rename).
pub struct MailFolder {
    folder: PathBuf,
}

impl MailFolder {
    pub fn new(folder: PathBuf) -> Self {
        Self { folder }
    }
}

impl MailTransport for MailFolder {
    fn deliver<'a>(
        &'a self,
        key: &'a str,
        message: &'a lettre::Message,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            tokio::fs::create_dir_all(&self.folder).await?;
            let target = self.folder.join(format!("{key}.eml"));
            let temporary = self.folder.join(format!(".{key}.eml.tmp"));
            tokio::fs::write(&temporary, message.formatted()).await?;
            tokio::fs::rename(&temporary, &target).await?;
            Ok(())
        })
    }
}

/// Sends through an SMTP server.
pub struct Smtp {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
}

impl Smtp {
    /// `smtp://host:port` (plain, for a local relay) — the relay handles onward TLS.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("smtp://")
            .ok_or_else(|| anyhow::anyhow!("BOXOFFICE_SMTP_URL must look like smtp://host:port"))?;
        let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), port.parse()?),
            None => (rest.trim_end_matches('/').to_owned(), 25),
        };
        let transport =
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(host)
                .port(port)
                .timeout(Some(Duration::from_secs(20)))
                .build();
        Ok(Self { transport })
    }
}

impl MailTransport for Smtp {
    fn deliver<'a>(
        &'a self,
        _key: &'a str,
        message: &'a lettre::Message,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        use lettre::AsyncTransport;
        Box::pin(async move {
            self.transport.send(message.clone()).await?;
            Ok(())
        })
    }
}

/// Builds the email for a booking that reached `status`; a confirmation lists `tickets`, the
/// codes scanned at the door (the same as on the booking page and in the API).
pub fn compose(
    mail: &BookingMail,
    status: BookingStatus,
    tickets: &[crate::tickets::IssuedTicket],
    from: &str,
) -> anyhow::Result<lettre::Message> {
    let b = &mail.booking;
    let seats: Vec<String> = b
        .seats
        .iter()
        .map(|s| match &s.row {
            Some(row) => format!(
                "  {} row {} seat {} — {}",
                s.section,
                row,
                s.number,
                b.price(s)
            ),
            None => format!("  {} (standing) — {}", s.section, b.price(s)),
        })
        .collect();
    let when = rfc3339(mail.starts_at);
    let (subject, opening) = match status {
        BookingStatus::Confirmed => (
            format!("Your tickets for {}", mail.event_title),
            "your booking is confirmed. Show a ticket code below at the door.".to_owned(),
        ),
        BookingStatus::Cancelled => (
            format!("Cancelled: {}", mail.event_title),
            format!("your booking was cancelled and {} is being refunded.", b.total()),
        ),
        _ => (
            format!("Refund for {}", mail.event_title),
            format!(
                "your payment arrived after the seats were released, so we could not issue tickets. {} is being refunded.",
                b.total()
            ),
        ),
    };
    let codes = if tickets.is_empty() {
        String::new()
    } else {
        let lines: Vec<String> = tickets
            .iter()
            .map(|t| format!("  {}:\n  {}\n", t.seat.label, t.code))
            .collect();
        format!(
            "\nYour tickets (the QR codes are on the booking page, and on the printable page):\n{}",
            lines.join("")
        )
    };
    let body = format!(
        "Hello {},\n\n{opening}\n\n{}\n{} — {}, {}\n\nBooking {}\n{}\nTotal: {}\n{codes}\nBox Office\n",
        mail.name,
        mail.event_title,
        when,
        mail.venue,
        mail.city,
        b.id,
        seats.join("\n"),
        b.total(),
    );
    Ok(lettre::Message::builder()
        .from(from.parse()?)
        .to(format!(
            "{} <{}>",
            mail.name.replace(['<', '>', '"'], ""),
            mail.email
        )
        .parse()?)
        .subject(subject)
        .message_id(Some(format!(
            "<booking-{}-{}@boxoffice>",
            b.id,
            status.as_str()
        )))
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)?)
}

/// The email that tells a waiter seats are held for them.
pub fn compose_offer(offer: &OfferMail, from: &str) -> anyhow::Result<lettre::Message> {
    let hold = &offer.hold;
    let seats: Vec<String> = hold
        .seats
        .iter()
        .map(|s| match &s.row {
            Some(row) => format!("  {} row {} seat {}", s.section, row, s.number),
            None => format!("  {} (standing)", s.section),
        })
        .collect();
    let body = format!(
        "Hello {},\n\nseats you were waiting for are held for you until {}. Book them before \
         then, or they go to the next person in line.\n\n{}\n{} — {}, {}\n\nHold {}\n{}\n\
         Total: {}\n\nBox Office\n",
        offer.name,
        hold.expires_at,
        offer.event_title,
        rfc3339(offer.starts_at),
        offer.venue,
        offer.city,
        hold.id,
        seats.join("\n"),
        crate::domain::Money::new(hold.total, hold.currency.clone()),
    );
    Ok(lettre::Message::builder()
        .from(from.parse()?)
        .to(format!(
            "{} <{}>",
            offer.name.replace(['<', '>', '"'], ""),
            offer.email
        )
        .parse()?)
        .subject(format!("Seats held for you: {}", offer.event_title))
        .message_id(Some(format!(
            "<waitlist-{}-offered@boxoffice>",
            offer.entry
        )))
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)?)
}

/// The outbox worker.
pub struct Notifier {
    store: DynStore,
    transport: Arc<dyn MailTransport>,
    clock: Clock,
    from: String,
    owner: String,
}

const CONSUMER: &str = "mailer";
const LEASE_MS: i64 = 30_000;

impl Notifier {
    pub fn new(
        store: DynStore,
        transport: Arc<dyn MailTransport>,
        clock: Clock,
        from: String,
    ) -> Self {
        let owner = format!("{}-{:x}", std::process::id(), rand::random::<u32>());
        Self {
            store,
            transport,
            clock,
            from,
            owner,
        }
    }

    /// Processes what the feed holds now; returns how many emails were delivered.
    /// `follower` carries the cursor between passes.
    pub async fn pass(&self, follower: &mut Option<Follower>) -> anyhow::Result<usize> {
        let now = self.clock.now_ms();
        let Some(saved) = self
            .store
            .lease_consumer(CONSUMER, &self.owner, now, LEASE_MS)
            .await?
        else {
            *follower = None; // someone else sends; start from their cursor if we take over
            return Ok(0);
        };
        let follower = follower.get_or_insert_with(|| Follower::new(self.store.clone(), saved));
        let mut delivered = 0;
        loop {
            let changes = follower.next(200).await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                break;
            };
            for change in &changes {
                if change.topic == "waitlist" {
                    delivered += self.waitlist_offer(change).await?;
                    continue;
                }
                if change.topic != "booking" {
                    continue;
                }
                let kind = serde_json::from_str::<serde_json::Value>(&change.payload)?
                    .get("kind")
                    .and_then(|k| k.as_str())
                    .and_then(BookingStatus::parse);
                let Some(
                    status @ (BookingStatus::Confirmed
                    | BookingStatus::Cancelled
                    | BookingStatus::Refunded),
                ) = kind
                else {
                    continue;
                };
                let key = format!("booking-{}-{}", change.entity_id, status.as_str());
                if self.store.mail_sent(&key).await? {
                    continue;
                }
                let mail = self
                    .store
                    .booking_mail(BookingId::new(change.entity_id))
                    .await?;
                let tickets = if status == BookingStatus::Confirmed {
                    // Cancelled in the meantime: the cancellation mail follows.
                    self.store
                        .booking_tickets(mail.booking.id, None, self.clock.now_ms())
                        .await
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                let message = compose(&mail, status, &tickets, &self.from)?;
                self.transport.deliver(&key, &message).await?;
                self.store.record_mail(&key, self.clock.now_ms()).await?;
                metrics::counter!("emails_sent_total", "kind" => status.as_str()).increment(1);
                delivered += 1;
            }
            follower.advance(last);
            if !self
                .store
                .advance_consumer(CONSUMER, &self.owner, last)
                .await?
            {
                break; // lease lost to another instance
            }
        }
        Ok(delivered)
    }

    /// Tells a waiter that seats are held for them (once per offer).
    async fn waitlist_offer(&self, change: &crate::store::Change) -> anyhow::Result<usize> {
        let payload: serde_json::Value = serde_json::from_str(&change.payload)?;
        if payload.get("state").and_then(|s| s.as_str()) != Some("offered") {
            return Ok(0);
        }
        let key = format!("waitlist-{}-offered", change.entity_id);
        if self.store.mail_sent(&key).await? {
            return Ok(0);
        }
        let offer = self
            .store
            .offer_mail(WaitlistId::new(change.entity_id), self.clock.now_ms())
            .await?;
        let message = compose_offer(&offer, &self.from)?;
        self.transport.deliver(&key, &message).await?;
        self.store.record_mail(&key, self.clock.now_ms()).await?;
        metrics::counter!("emails_sent_total", "kind" => "waitlist_offer").increment(1);
        Ok(1)
    }

    pub async fn run(self, every: Duration, mut stop: crate::shutdown::Stop) {
        let mut follower = None;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if let Err(e) = self.pass(&mut follower).await {
                        tracing::warn!(error = %e, "mail delivery failed; will retry");
                        follower = None;
                    }
                }
                () = crate::shutdown::stopped(&mut stop) => {
                    if let Err(e) = self.store.release_consumer(CONSUMER, &self.owner).await {
                        tracing::warn!(error = %e, "could not release the mailer lease");
                    }
                    return;
                }
            }
        }
    }
}
