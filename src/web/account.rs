//! Registering, logging in and out on the web. The session is the same as the API's; the page
//! keeps its token in an HttpOnly cookie.

use super::catalog::url_encode;
use super::session::{is_https, set_cookie, Form, Visitor, SESSION_COOKIE};
use super::{page, Chrome, WebError};
use crate::accounts::{self, LoginError, RegisterError};
use crate::domain::password::Password;
use crate::http::AppState;
use crate::store::StoreError;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

/// Where to go after logging in: only a path of this site. Never `//elsewhere`, a URL, a
/// backslash, or any space or control character (browsers drop tabs and line breaks from a
/// `Location`, so `/\t/elsewhere` would become `//elsewhere`).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n
                    .chars()
                    .any(|c| c == '\\' || c.is_whitespace() || c.is_control()) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    /// `next`, encoded for a query string.
    next_query: String,
    email: String,
    error: Option<String>,
}

pub async fn login_page(
    visitor: Visitor,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let next = safe_next(raw.get("next").map(String::as_str));
    if visitor.user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let template = LoginPage {
        chrome: Chrome::new("Log in", &visitor),
        next_query: url_encode(&next),
        next,
        email: String::new(),
        error: None,
    };
    Ok(page(StatusCode::OK, &template))
}

fn with_session(next: &str, token: &str, max_age: i64, headers: &HeaderMap) -> Response {
    let mut response = Redirect::to(next).into_response();
    if let Some(value) = set_cookie(SESSION_COOKIE, token, max_age, "Lax", is_https(headers)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, WebError> {
    let next = safe_next(form.get("next"));
    let email = form.get("email").unwrap_or_default().to_owned();
    let password = Password::new(form.get("password").unwrap_or_default().to_owned());
    let now = state.clock.now_ms();
    match accounts::log_in(
        &state.store,
        &email,
        password,
        now,
        state.config.session_ttl,
    )
    .await
    {
        Ok(session) => Ok(with_session(
            &next,
            &session.token,
            (session.expires_at - now) / 1000,
            &headers,
        )),
        Err(LoginError::Wrong) => {
            let template = LoginPage {
                chrome: Chrome::new("Log in", &visitor),
                next_query: url_encode(&next),
                next,
                email,
                error: Some("Wrong email or password.".into()),
            };
            Ok(page(StatusCode::UNAUTHORIZED, &template))
        }
        Err(LoginError::Hash(e)) => Err(crate::http::ApiError::Internal(e.0).into()),
        Err(LoginError::Store(e)) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    next: String,
    next_query: String,
    email: String,
    name: String,
    errors: Vec<String>,
}

pub async fn register_page(
    visitor: Visitor,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let next = safe_next(raw.get("next").map(String::as_str));
    let template = RegisterPage {
        chrome: Chrome::new("Create an account", &visitor),
        next_query: url_encode(&next),
        next,
        email: String::new(),
        name: String::new(),
        errors: Vec::new(),
    };
    Ok(page(StatusCode::OK, &template))
}

/// Creates the account and logs straight in.
pub async fn register(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, WebError> {
    let next = safe_next(form.get("next"));
    let email = form.get("email").unwrap_or_default().to_owned();
    let name = form.get("name").unwrap_or_default().to_owned();
    let password = form.get("password").unwrap_or_default().to_owned();
    let now = state.clock.now_ms();
    let again = |errors: Vec<String>, status: StatusCode| {
        let template = RegisterPage {
            chrome: Chrome::new("Create an account", &visitor),
            next_query: url_encode(&next),
            next: next.clone(),
            email: email.clone(),
            name: name.clone(),
            errors,
        };
        Ok(page(status, &template))
    };
    let user = match accounts::register(&state.store, &email, &name, &password, now).await {
        Ok(user) => user,
        Err(RegisterError::Invalid(invalid)) => {
            let errors = invalid
                .0
                .iter()
                .map(|f| format!("{}: {}", super::catalog::capitalise(&f.field), f.message))
                .collect();
            return again(errors, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(RegisterError::Store(StoreError::Conflict(_))) => {
            return again(
                vec!["An account with that email exists already: log in instead.".into()],
                StatusCode::CONFLICT,
            );
        }
        Err(RegisterError::Store(e)) => return Err(e.into()),
        Err(RegisterError::Hash(e)) => return Err(crate::http::ApiError::Internal(e.0).into()),
    };
    let session = accounts::open_session(&state.store, user, now, state.config.session_ttl).await?;
    Ok(with_session(
        &next,
        &session.token,
        (session.expires_at - now) / 1000,
        &headers,
    ))
}

/// Ends the session everywhere at once and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    _form: Form,
) -> Result<Response, WebError> {
    if let Some(hash) = &visitor.session {
        state.store.delete_session(hash).await?;
        state.sessions.invalidate(hash);
    }
    Ok(with_session("/", "", 0, &headers))
}
