//! Account secrets: password hashing (argon2id, run off the async runtime on a bounded pool)
//! and the hash under which session tokens are stored.
//!
//! Registration, log-in and `boxoffice admin create-user` all hash here; the HTTP layer only
//! maps a [`HashError`] to a 500.

use crate::domain::password::Password;
use sha2::{Digest, Sha256};

/// Hashes a bearer token the way sessions are stored: only the hash is kept, so a leaked
/// sessions table grants nothing.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashing could not run or the stored hash is unreadable: a bug or a broken installation,
/// never the user's fault.
#[derive(Debug, thiserror::Error)]
#[error("internal error: {0}")]
pub struct HashError(pub String);

/// Password hashing is deliberately slow and takes 19 MiB a go; at most one per core runs at
/// once, so a registration burst queues instead of exhausting memory and starving requests.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
}

async fn on_hashing_pool<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
) -> Result<T, HashError> {
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|e| HashError(format!("hashing pool closed: {e}")))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| HashError(format!("hashing task failed: {e}")))?
}

/// Hashes a password with argon2id off the async runtime.
pub async fn hash_password(password: Password) -> Result<String, HashError> {
    on_hashing_pool(move || {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| HashError(format!("hashing failed: {e}")))
    })
    .await
}

/// Whether `password` matches the stored argon2 `hash`, checked off the async runtime.
pub async fn verify_password(password: Password, hash: String) -> Result<bool, HashError> {
    on_hashing_pool(move || {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| HashError(format!("stored hash unreadable: {e}")))?;
        Ok(argon2::Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok())
    })
    .await
}
