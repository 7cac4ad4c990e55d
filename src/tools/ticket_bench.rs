//! `boxoffice loadtest tickets`: how fast one core verifies ticket codes (what a door scanner
//! or the check-in endpoint spends per scan on cryptography), how long a code is and how big
//! its QR code gets. Prints figures, asserts nothing.

use crate::tickets::{self, code, keys, Keyring, PublishedKey, TicketClaims};
use std::collections::HashSet;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct TicketBenchArgs {
    /// How many codes to verify.
    #[arg(long, default_value_t = 20_000)]
    pub codes: usize,
    /// Ticket, show and seat ids start here (bigger ids make longer codes).
    #[arg(long, default_value_t = 1_000_000)]
    pub base_id: u64,
}

pub fn run(args: TicketBenchArgs) -> anyhow::Result<()> {
    let key = keys::generate();
    let published = [PublishedKey {
        id: 1,
        public_key: keys::encode_public(&key.verifying_key()),
    }];
    let ring = Keyring::new(&published);
    let claims = |i: u64| TicketClaims {
        key_id: 1,
        ticket_id: args.base_id + i,
        show_id: args.base_id,
        seat_id: args.base_id + i,
        valid_from: 1_700_000_000,
        valid_until: 1_900_000_000,
    };
    let n = args.codes.max(1);
    let started = Instant::now();
    let codes: Vec<String> = (0..n as u64)
        .map(|i| code::sign(&claims(i), &key))
        .collect();
    let sign_s = started.elapsed().as_secs_f64();

    let revoked = HashSet::new();
    let at = 1_800_000_000_000;
    let started = Instant::now();
    let mut ok = 0usize;
    for c in &codes {
        if tickets::verify_offline(c, &ring, &revoked, at).is_ok() {
            ok += 1;
        }
    }
    let verify_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(ok == n, "only {ok} of {n} codes verified");

    let sample = &codes[0];
    let bytes = code::base32_decode(sample).map(|b| b.len()).unwrap_or(0);
    let qr = tickets::qr(sample).map_err(anyhow::Error::msg)?;
    println!("codes: {n} (ids from {})", args.base_id);
    println!(
        "code: {} bytes ({} payload + 64 signature), {} base32 characters",
        bytes,
        bytes.saturating_sub(64),
        sample.len()
    );
    println!(
        "QR code: version {}, {}x{} modules, error correction M, {} bytes of SVG",
        qr.version,
        qr.modules,
        qr.modules,
        qr.svg.len()
    );
    println!(
        "sign:   {:>9.0} codes/s on one core",
        n as f64 / sign_s.max(1e-9)
    );
    println!(
        "verify: {:>9.0} codes/s on one core ({:.1} µs each)",
        n as f64 / verify_s.max(1e-9),
        verify_s * 1e6 / n as f64
    );
    Ok(())
}
