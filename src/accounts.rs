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

/// A session just opened: the bearer token (shown once, stored only as its hash) and its user.
#[derive(Debug)]
pub struct OpenedSession {
    pub token: String,
    pub expires_at: crate::domain::UnixMs,
    pub user: crate::domain::users::User,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email or wrong password; which one is never told.
    #[error("wrong email or password")]
    Wrong,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// A hash of a random password, verified against when the email is unknown so that a wrong
/// email and a wrong password take the same time.
static DECOY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Checks an email and password and opens a session of `ttl`: what `POST /api/v1/sessions`
/// and the log-in page both do.
pub async fn log_in(
    store: &crate::store::DynStore,
    email: &str,
    password: Password,
    now: crate::domain::UnixMs,
    ttl: std::time::Duration,
) -> Result<OpenedSession, LoginError> {
    let found = match crate::domain::users::normalise_email(email) {
        Some(email) => store.credentials_by_email(&email).await?,
        None => None,
    };
    let Some(credentials) = found else {
        let decoy = match DECOY_HASH.get() {
            Some(h) => h.clone(),
            None => {
                let h =
                    hash_password(Password::new(format!("{:x}", rand::random::<u128>()))).await?;
                DECOY_HASH.get_or_init(|| h).clone()
            }
        };
        verify_password(password, decoy).await?;
        return Err(LoginError::Wrong);
    };
    if !verify_password(password, credentials.password_hash).await? {
        return Err(LoginError::Wrong);
    }
    Ok(open_session(store, credentials.user, now, ttl).await?)
}

/// Opens a session of `ttl` for `user` (after a log-in, or a registration on a page).
pub async fn open_session(
    store: &crate::store::DynStore,
    user: crate::domain::users::User,
    now: crate::domain::UnixMs,
    ttl: std::time::Duration,
) -> Result<OpenedSession, crate::store::StoreError> {
    use base64::Engine;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let expires_at = now + ttl.as_millis() as i64;
    store
        .create_session(user.id, &token_hash(&token), now, expires_at)
        .await?;
    Ok(OpenedSession {
        token,
        expires_at,
        user,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("validation failed")]
    Invalid(crate::domain::Invalid),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl From<crate::domain::Invalid> for RegisterError {
    fn from(e: crate::domain::Invalid) -> Self {
        RegisterError::Invalid(e)
    }
}

/// Creates a buyer account: what `POST /api/v1/users` and the registration page both do.
pub async fn register(
    store: &crate::store::DynStore,
    email: &str,
    name: &str,
    password: &str,
    now: crate::domain::UnixMs,
) -> Result<crate::domain::users::User, RegisterError> {
    let user = crate::domain::users::NewUser::parse(
        email,
        name,
        password,
        crate::domain::users::Role::Buyer,
    )?;
    let hash = hash_password(user.password.clone()).await?;
    Ok(store
        .create_user(crate::store::HashedUser::new(user, hash), now)
        .await?)
}
