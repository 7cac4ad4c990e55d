//! Users and their sessions.

use super::super::exec::{q, Exec, Row};
use super::super::{Credentials, HashedUser, StoreError, StoreResult};
use super::decode;
use crate::domain::users::{Role, User};
use crate::domain::{UnixMs, UserId};

fn user_from_row(row: &Row) -> StoreResult<User> {
    Ok(User {
        id: UserId::new(row.get("id")?),
        email: row.get("email")?,
        name: row.get("name")?,
        role: decode(row.get("role")?, "role", Role::parse)?,
    })
}

/// Creates a user; `Conflict` when the email is taken.
pub async fn create_user<C: Exec>(c: &mut C, user: &HashedUser, now: UnixMs) -> StoreResult<User> {
    let id: Option<i64> = q(
        "INSERT INTO users (email, name, password_hash, role, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(&user.email)
    .bind(&user.name)
    .bind(&user.password_hash)
    .bind(user.role.as_str())
    .bind(now)
    .scalar_opt(c)
    .await?;
    let id =
        id.ok_or_else(|| StoreError::Conflict("an account with this email already exists".into()))?;
    Ok(User {
        id: UserId::new(id),
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role,
    })
}

pub async fn credentials_by_email<C: Exec>(
    c: &mut C,
    email: &str,
) -> StoreResult<Option<Credentials>> {
    let row = q("SELECT id, email, name, role, password_hash FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(c)
        .await?;
    row.map(|row| {
        Ok(Credentials {
            user: user_from_row(&row)?,
            password_hash: row.get("password_hash")?,
        })
    })
    .transpose()
}

pub async fn create_session<C: Exec>(
    c: &mut C,
    user: UserId,
    token_hash: &str,
    now: UnixMs,
    expires_at: UnixMs,
) -> StoreResult<()> {
    q("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user.get())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await?;
    // Tidy this user's expired sessions while we hold the write lock anyway.
    q("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
        .bind(user.get())
        .bind(now)
        .execute(c)
        .await?;
    Ok(())
}

/// The user behind a live session token hash.
pub async fn session_user<C: Exec>(
    c: &mut C,
    token_hash: &str,
    now: UnixMs,
) -> StoreResult<Option<User>> {
    let row = q("SELECT u.id, u.email, u.name, u.role FROM sessions s \
         JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2")
    .bind(token_hash)
    .bind(now)
    .fetch_optional(c)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

pub async fn delete_session<C: Exec>(c: &mut C, token_hash: &str) -> StoreResult<()> {
    q("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(c)
        .await
        .map(drop)
}
