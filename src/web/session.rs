//! Who is browsing, and proof that a form came from our own page.
//!
//! - **Session.** Logging in on a page opens the same kind of session as `POST
//!   /api/v1/sessions`; its token travels in the `bo_session` cookie (HttpOnly, SameSite=Lax,
//!   Secure behind HTTPS), never in JavaScript's reach. The JSON API does not read the cookie:
//!   it keeps its bearer tokens, so no API call can be forged from another site.
//! - **CSRF.** Every visitor gets a random `bo_csrf` cookie (SameSite=Lax, so arriving from a
//!   link elsewhere keeps it) on their first page; every form carries the token in a hidden
//!   `csrf` field and [`Form`] refuses a post whose field does not match (a page on another
//!   site can make the browser send the cookie, but cannot read it to fill the field). A post
//!   whose `Origin` or `Sec-Fetch-Site` says it came from another site is refused as well.
//!   Pages carry the token masked with a fresh random pad each time, so a compressed page
//!   never repeats it byte for byte (no BREACH-style guessing through response sizes).

use super::WebError;
use crate::accounts::token_hash;
use crate::domain::users::User;
use crate::http::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "bo_session";
const CSRF_COOKIE: &str = "bo_csrf";
/// Forms are small; anything bigger is not one of ours.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value: HttpOnly, path `/`, `Secure` when the site is served over HTTPS.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_secs: i64,
    same_site: &str,
    secure: bool,
) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite={same_site}{secure}"
    ))
    .ok()
}

/// Whether the request reached us over HTTPS (directly, or through a proxy that says so).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// The visitor's CSRF token, put in the request's extensions by [`csrf_cookie`].
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Gives every visitor a CSRF cookie: a request without one gets a fresh token for this
/// request's forms, and the response sets it.
pub async fn csrf_cookie(mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned);
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(|| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    });
    let secure = is_https(req.headers());
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(req).await;
    if fresh {
        if let Some(value) = set_cookie(CSRF_COOKIE, &token, 60 * 60 * 24 * 365, "Lax", secure) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Who is looking at a page: maybe a logged-in user, always a CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub user: Option<User>,
    /// The session's token hash, for logging out.
    pub session: Option<String>,
    pub csrf: String,
}

impl Visitor {
    pub fn is_admin(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == crate::domain::users::Role::Admin)
    }
}

/// The token as a form carries it: a random pad, then the token XOR the pad (base64url).
fn mask(token: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let Ok(raw) = engine.decode(token) else {
        return String::new();
    };
    let pad: Vec<u8> = (0..raw.len()).map(|_| rand::random::<u8>()).collect();
    let mut out = pad.clone();
    out.extend(raw.iter().zip(&pad).map(|(t, p)| t ^ p));
    engine.encode(out)
}

/// Whether a form's `sent` value is the cookie's `token`, masked (or, from clients that read
/// the cookie themselves, as it is).
fn matches(sent: &str, token: &str) -> bool {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (Ok(sent_raw), Ok(token_raw)) = (engine.decode(sent), engine.decode(token)) else {
        return false;
    };
    let unmasked: Vec<u8> = if sent_raw.len() == token_raw.len() * 2 {
        let (pad, masked) = sent_raw.split_at(token_raw.len());
        masked.iter().zip(pad).map(|(m, p)| m ^ p).collect()
    } else {
        sent_raw
    };
    !token_raw.is_empty() && bool::from(unmasked.ct_eq(&token_raw))
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| mask(&t.0))
            .unwrap_or_default();
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Ok(Visitor {
                user: None,
                session: None,
                csrf,
            });
        };
        let hash = token_hash(token);
        // A dead session cookie is simply a visitor who is not logged in.
        let user = crate::http::extract::session_user(state, &hash).await?;
        Ok(Visitor {
            session: user.as_ref().map(|_| hash),
            user,
            csrf,
        })
    }
}

/// A logged-in visitor; anyone else is sent to the log-in page and back.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub user: User,
    pub visitor: Visitor,
}

impl FromRequestParts<AppState> for Buyer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        match visitor.user.clone() {
            Some(user) => Ok(Buyer { user, visitor }),
            None => {
                // After logging in, come back to the page (a form's page for a post).
                let back = if parts.method == axum::http::Method::GET {
                    parts
                        .uri
                        .path_and_query()
                        .map_or("/", |p| p.as_str())
                        .to_owned()
                } else {
                    referer_path(&parts.headers).unwrap_or_else(|| "/".into())
                };
                Err(WebError::LogIn(back))
            }
        }
    }
}

/// The path of the `Referer`, when it is one of ours.
fn referer_path(headers: &HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let path = rest.strip_prefix(host)?;
    path.starts_with('/').then(|| path.to_owned())
}

/// A posted form (`application/x-www-form-urlencoded`) whose CSRF field matched the visitor's
/// cookie. Fields keep their order and may repeat (`seat=1&seat=2`).
#[derive(Debug)]
pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every value of `name` in order, blanks included (fields of repeated groups line up).
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect()
    }

    /// Every non-blank value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// Whether the browser says this request came from another site.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
            origin_host != host
        }
        _ => false,
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = WebError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, WebError> {
        let forbidden = || {
            WebError::Forbidden(
                "This form has expired or did not come from this site. Go back, reload the page \
                 and try again."
                    .into(),
            )
        };
        if cross_site(req.headers()) {
            return Err(forbidden());
        }
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim() == "application/x-www-form-urlencoded");
        if !is_form {
            return Err(WebError::BadRequest("send the page's form".into()));
        }
        let expected = req
            .extensions()
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let body = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| WebError::BadRequest("the form is too large".into()))?;
        let fields: Vec<(String, String)> = form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let sent = fields
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        // A fresh token made for this very request cannot match a field sent before it existed.
        if expected.is_empty() || !matches(sent, &expected) {
            return Err(forbidden());
        }
        Ok(Form { fields })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_token_matches_only_its_own_token_and_differs_each_time() {
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 32]);
        let other = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([8u8; 32]);
        let (a, b) = (mask(&token), mask(&token));
        assert_ne!(a, b);
        assert!(!a.contains(&token));
        assert!(matches(&a, &token) && matches(&b, &token));
        assert!(matches(&token, &token), "the bare token still passes");
        assert!(!matches(&a, &other));
        assert!(!matches("", &token));
        assert!(!matches("not base64 at all!", &token));
        assert!(!matches(&a[..a.len() - 2], &token));
    }
}
