//! The web app: the pages buyers and organisers use, served by the same binary as the API.
//!
//! Pages are rendered on the server (askama templates under `templates/`) from the same store
//! and services the JSON API calls; a few small JavaScript modules (`static/`) add what a page
//! cannot do alone: the live seat map, the hold countdown, the queue and waitlist streams,
//! autocomplete. Every page works without JavaScript where a form can do the job: best
//! available by quantity, the seat list, paying, cancelling, the waiting room (it refreshes).
//!
//! - Routes, and the accessible names buyers rely on, are part of the contract
//!   (ARCHITECTURE.md lists them).
//! - Sessions are cookies and every post carries a CSRF token (`session.rs`).
//! - Responses carry a Content-Security-Policy without inline script or style; templates
//!   escape every value.
//! - Assets are embedded with content-hashed names (`assets.rs`).

mod account;
mod admin;
pub mod assets;
mod booking;
mod catalog;
mod door;
pub mod format;
pub mod session;
mod show;

use crate::http::{ApiError, AppState};
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use session::Visitor;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(catalog::home))
        .route("/browse", get(catalog::browse))
        .route("/cities/{city}", get(catalog::city))
        .route("/search", get(catalog::search))
        .route("/events/{id}", get(catalog::event))
        .route("/shows/{id}", get(show::show))
        .route("/shows/{id}/list", get(show::seat_list))
        .route("/shows/{id}/hold", post(show::hold))
        .route("/shows/{id}/queue", get(show::queue).post(show::join_queue))
        .route("/shows/{id}/waitlist", post(show::join_waitlist))
        .route("/waitlist/{id}/leave", post(show::leave_waitlist))
        .route("/waitlist/{id}/events", get(show::waitlist_events))
        .route("/holds/{id}", get(booking::checkout))
        .route("/holds/{id}/pay", post(booking::pay))
        .route("/holds/{id}/release", post(booking::release))
        .route("/bookings", get(booking::my_bookings))
        .route("/bookings/{id}", get(booking::booking))
        .route("/bookings/{id}/cancel", post(booking::cancel))
        .route("/bookings/{id}/print", get(booking::print))
        .route("/login", get(account::login_page).post(account::login))
        .route(
            "/register",
            get(account::register_page).post(account::register),
        )
        .route("/logout", post(account::logout))
        .route("/door", get(door::door))
        .route("/admin", get(admin::dashboard))
        .route("/admin/shows/{id}", get(admin::sales))
        .route("/admin/venues/new", get(admin::new_venue))
        .route("/admin/venues", post(admin::create_venue))
        .route("/admin/events/new", get(admin::new_event))
        .route("/admin/events", post(admin::create_event))
        .route("/admin/events/{id}/shows/new", get(admin::new_show))
        .route("/admin/events/{id}/shows", post(admin::create_show))
        .route("/admin/events/{id}/cancel", post(admin::cancel_event))
        .layer(axum::middleware::from_fn(session::csrf_cookie))
        .layer(axum::middleware::map_response(security_headers))
        .route("/static/{file}", get(assets::serve))
}

/// What every page's frame needs: the title, who is logged in, the CSRF token for its forms,
/// and the asset URLs.
pub struct Chrome {
    pub title: String,
    pub user: Option<String>,
    pub admin: bool,
    pub csrf: String,
    pub css: &'static str,
    pub app_js: &'static str,
}

impl Chrome {
    pub fn new(title: impl Into<String>, visitor: &Visitor) -> Self {
        Chrome {
            title: title.into(),
            user: visitor.user.as_ref().map(|u| u.name.clone()),
            admin: visitor.is_admin(),
            csrf: visitor.csrf.clone(),
            css: assets::asset("app.css"),
            app_js: assets::asset("app.js"),
        }
    }
}

/// Where a payment page's provider script comes from and talks to, for its
/// Content-Security-Policy.
pub struct PaymentOrigins {
    /// The script's origin, also allowed to frame (the card fields are its frames).
    pub script: String,
    /// The origin its API calls go to.
    pub api: String,
}

/// The Content-Security-Policy of pages: no inline script or style and nothing from elsewhere,
/// except what a payment page lets its provider's script do.
pub fn content_security_policy(payment: Option<&PaymentOrigins>) -> String {
    let (script, frame, connect) = match payment {
        None => (String::new(), "'none'".to_owned(), String::new()),
        Some(p) => {
            // Stripe's own list for Stripe.js adds its script subdomains and the 3-D Secure
            // frames on hooks.stripe.com.
            let stripe = p.script == "https://js.stripe.com";
            let extra = if stripe {
                " https://*.js.stripe.com"
            } else {
                ""
            };
            let hooks = if stripe {
                " https://hooks.stripe.com"
            } else {
                ""
            };
            (
                format!(" {}{extra}", p.script),
                format!("{}{extra}{hooks}", p.script),
                format!(" {}", p.api),
            )
        }
    };
    format!(
        "default-src 'self'; script-src 'self'{script}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{connect}; frame-src {frame}; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
}

static DEFAULT_CSP: std::sync::LazyLock<HeaderValue> = std::sync::LazyLock::new(|| {
    HeaderValue::from_str(&content_security_policy(None)).expect("an ASCII policy")
});

/// The headers every page carries: no inline script or style, no framing, no sniffing. A page
/// that set its own policy (a payment page) keeps it.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, DEFAULT_CSP.clone());
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Renders a template as an HTML page with `status`, never cached by shared caches (pages
/// carry the visitor's name and CSRF token).
pub fn page<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (
            status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, no-cache"),
                ),
            ],
            html,
        )
            .into_response(),
        Err(e) => WebError::Api(ApiError::Internal(format!("template: {e}"))).into_response(),
    }
}

/// A page that went wrong: an error page with the API's status and words, or a trip to the
/// log-in page.
#[derive(Debug)]
pub enum WebError {
    Api(ApiError),
    /// Not logged in: log in, then come back to this path.
    LogIn(String),
    Forbidden(String),
    BadRequest(String),
}

impl<E: Into<ApiError>> From<E> for WebError {
    fn from(e: E) -> Self {
        WebError::Api(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: String,
    detail: String,
    fields: Vec<String>,
}

/// An error page. It has no visitor at hand, so its frame shows nobody logged in.
pub fn error_page(
    status: StatusCode,
    heading: &str,
    detail: &str,
    fields: Vec<String>,
) -> Response {
    let visitor = Visitor {
        user: None,
        session: None,
        csrf: String::new(),
    };
    let template = ErrorPage {
        chrome: Chrome::new(heading, &visitor),
        heading: heading.to_owned(),
        detail: detail.to_owned(),
        fields,
    };
    page(status, &template)
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::LogIn(back) => {
                let next: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
                Redirect::to(&format!("/login?next={next}")).into_response()
            }
            WebError::Forbidden(detail) => {
                error_page(StatusCode::FORBIDDEN, "Not allowed", &detail, Vec::new())
            }
            WebError::BadRequest(detail) => error_page(
                StatusCode::BAD_REQUEST,
                "That did not work",
                &detail,
                Vec::new(),
            ),
            WebError::Api(e) => {
                let problem = e.problem();
                let status = e.status();
                let heading = match status {
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::GONE => "No longer available",
                    StatusCode::CONFLICT => "That is no longer possible",
                    StatusCode::UNPROCESSABLE_ENTITY => "Please check what you entered",
                    s if s.is_server_error() => "Something went wrong on our side",
                    _ => "That did not work",
                };
                let detail = if status.is_server_error() {
                    "Please try again in a moment.".to_owned()
                } else {
                    problem.detail.clone()
                };
                let fields = problem
                    .errors
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect();
                let mut response = error_page(status, heading, &detail, fields);
                // The cause goes in the request's log line, as for the API.
                if let ApiError::Internal(cause) | ApiError::Unavailable(cause) = &e {
                    response
                        .extensions_mut()
                        .insert(crate::http::error::ErrorCause(cause.clone()));
                }
                response
            }
        }
    }
}

/// For a browser asking for a page at a path no route serves: an HTML 404 (API clients keep
/// getting problem+json).
pub fn wants_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directive<'a>(policy: &'a str, name: &str) -> &'a str {
        policy
            .split("; ")
            .find(|d| d.starts_with(name))
            .unwrap_or_default()
    }

    #[test]
    fn pages_allow_nothing_from_elsewhere() {
        let policy = content_security_policy(None);
        assert_eq!(directive(&policy, "script-src"), "script-src 'self'");
        assert_eq!(directive(&policy, "frame-src"), "frame-src 'none'");
        assert_eq!(directive(&policy, "connect-src"), "connect-src 'self'");
    }

    #[test]
    fn payment_pages_allow_what_stripe_js_needs() {
        let stripe = PaymentOrigins {
            script: "https://js.stripe.com".into(),
            api: "https://api.stripe.com".into(),
        };
        let policy = content_security_policy(Some(&stripe));
        assert_eq!(
            directive(&policy, "script-src"),
            "script-src 'self' https://js.stripe.com https://*.js.stripe.com"
        );
        assert_eq!(
            directive(&policy, "frame-src"),
            "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com"
        );
        assert_eq!(
            directive(&policy, "connect-src"),
            "connect-src 'self' https://api.stripe.com"
        );
        assert_eq!(directive(&policy, "style-src"), "style-src 'self'");
        let standin = PaymentOrigins {
            script: "http://127.0.0.1:4000".into(),
            api: "http://127.0.0.1:4000".into(),
        };
        let policy = content_security_policy(Some(&standin));
        assert_eq!(
            directive(&policy, "frame-src"),
            "frame-src http://127.0.0.1:4000"
        );
    }
}
