//! Operations endpoints: liveness, readiness, Prometheus metrics, the OpenAPI document and a
//! docs page rendered on the server (no JavaScript, so it works offline and behind firewalls).

use super::error::{ApiError, ApiResult};
use super::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use utoipa::openapi::content::Content;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::Response as DocResponse;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Required};
use utoipa::{Modify, OpenApi};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/docs", get(docs))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Box Office API", description = "Browse, search, hold, pay — and never sell a seat twice."),
    paths(
        super::accounts::register, super::accounts::login, super::accounts::logout, super::accounts::me,
        super::catalog::create_venue, super::catalog::get_venue, super::catalog::create_performer,
        super::catalog::get_performer, super::catalog::create_event, super::catalog::update_event,
        super::catalog::cancel_event, super::catalog::create_show, super::catalog::cities,
        super::catalog::browse_events, super::catalog::get_event, super::catalog::get_show,
        super::catalog::seat_map, super::stream::seat_stream,
        super::booking::create_hold, super::booking::get_hold, super::booking::release_hold,
        super::booking::create_booking, super::booking::get_booking, super::booking::cancel_booking,
        super::booking::my_bookings, super::booking::webhook,
        super::search::search, super::search::suggest,
        super::surge::update_show, super::surge::join_queue, super::surge::queue_entry,
        super::surge::leave_queue, super::surge::queue_stream, super::surge::join_waitlist,
        super::surge::waitlist_entry, super::surge::leave_waitlist, super::surge::waitlist_stream,
        super::tickets::booking_tickets, super::tickets::my_tickets, super::tickets::transfer,
        super::tickets::check_in, super::tickets::checkin_keys, super::tickets::checkin_counts,
        super::tickets::set_role,
        healthz, readyz,
    ),
    components(schemas(super::Problem, crate::domain::FieldError, crate::domain::catalog::Category,
        super::catalog::InstantOrDate, super::search::SortParam)),
    modifiers(&BearerAuth, &Problems),
    tags((name = "accounts"), (name = "catalog"), (name = "booking"), (name = "search"), (name = "surge"), (name = "tickets"), (name = "operations"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Completes every operation with the answers that the layers in front of its handler give,
/// so each one lists every status it can return, and makes every error answer a problem:
///
/// - an operation with a security requirement answers 401 without a live bearer token;
/// - one with a JSON body answers 400 (malformed JSON), 413 (over 2 MiB), 415 (not JSON) and
///   422 (JSON of the wrong shape);
/// - every creating POST (all but the provider webhooks) reads `Idempotency-Key`, so it
///   answers 409 (the first request with the key is still running), 422 (the key was used for
///   another request, or is malformed) and 401 (the key is scoped to the caller, so a dead
///   token is refused even where no login is needed);
/// - an id in the path that names nothing (or cannot name anything) is a 404;
/// - everything but liveness reads the store, which answers 503 while it is unreachable.
///
/// Every status of 400 and above is then `application/problem+json` with the `Problem` schema.
struct Problems;

impl Modify for Problems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let webhook = path.contains("/payments/webhooks/");
            for (method, op) in [
                ("GET", &mut item.get),
                ("POST", &mut item.post),
                ("PATCH", &mut item.patch),
                ("PUT", &mut item.put),
                ("DELETE", &mut item.delete),
            ] {
                let Some(op) = op.as_mut() else { continue };
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let json_body = !webhook && op.request_body.is_some();
                let idempotent = method == "POST" && !webhook;
                let mut add = |status: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| DocResponse::new(description).into());
                };
                if secured || idempotent {
                    add(
                        "401",
                        "no live bearer token: log in with POST /api/v1/sessions",
                    );
                }
                if json_body {
                    add("400", "the body is not well-formed JSON");
                    add("413", "the body is larger than 2 MiB");
                    add("415", "the body is not sent as application/json");
                    add("422", "the body is JSON of the wrong shape, or a field is invalid (`errors` names each)");
                }
                if idempotent {
                    add(
                        "409",
                        "a request with this Idempotency-Key is still being processed",
                    );
                    add(
                        "422",
                        "the Idempotency-Key was used for a different request, or is malformed",
                    );
                }
                if path.contains('{') {
                    add("404", "no such resource");
                }
                if path != "/healthz" {
                    add(
                        "503",
                        "the store is unreachable, or the server is overloaded; retry after `Retry-After` seconds",
                    );
                }
                if idempotent {
                    op.parameters
                        .get_or_insert_with(Vec::new)
                        .push(idempotency_key());
                }
                for (status, response) in op.responses.responses.iter_mut() {
                    let is_error = status.parse::<u16>().is_ok_and(|s| s >= 400);
                    if let (true, RefOr::T(response)) = (is_error, response) {
                        response.content.clear();
                        response.content.insert(
                            "application/problem+json".to_owned(),
                            Content::new(Some(Ref::from_schema_name("Problem"))),
                        );
                    }
                }
            }
        }
    }
}

/// The `Idempotency-Key` header: 1 to 255 visible ASCII characters (spaces inside).
fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name(super::idempotency::HEADER_NAME)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Retries with the same key and body get the first response again (kept 24 h); the \
             same key with another body is a 422.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]([\t -~]*[!-~])?$")),
        ))
        .build()
}

/// Liveness: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200)))]
async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(json!({"status": "ok"}))
}

/// Readiness: the store answers and the catalog reads are in memory.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200), (status = 503, body = super::Problem)))]
async fn readyz(State(state): State<AppState>) -> ApiResult<axum::Json<serde_json::Value>> {
    if !state.reads.ready() {
        return Err(ApiError::Unavailable("the catalog is still loading".into()));
    }
    state
        .store
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(format!("store not ready: {e}")))?;
    Ok(axum::Json(
        json!({"status": "ready", "store": format!("{:?}", state.store.backend()).to_lowercase()}),
    ))
}

async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// The document this server serves: [`ApiDoc`], with the payment providers this server has
/// (`test`, and `stripe` when it is configured) as the values `payment.provider` may take.
pub fn document(providers: &[&str]) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::schema::Schema;
    let mut doc = ApiDoc::openapi();
    let payment = doc
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut("PaymentInput"));
    if let Some(RefOr::T(Schema::Object(payment))) = payment {
        if let Some(RefOr::T(Schema::Object(provider))) = payment.properties.get_mut("provider") {
            provider.enum_values = Some(providers.iter().map(|p| json!(p)).collect());
        }
    }
    doc
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    match document(&state.booking.payments().names()).to_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => ApiError::Internal(format!("openapi: {e}")).into_response(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Every operation of the document, with its method and path.
pub(super) fn operations(
    doc: &utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (&'static str, &String, &utoipa::openapi::path::Operation)> {
    doc.paths.paths.iter().flat_map(|(path, item)| {
        [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ]
        .into_iter()
        .filter_map(move |(method, op)| Some((method, path, op.as_ref()?)))
    })
}

/// Renders the OpenAPI document as one HTML page: every operation with its parameters, body
/// and responses.
async fn docs() -> Html<String> {
    let doc = ApiDoc::openapi();
    let mut body = String::new();
    for (method, path, op) in operations(&doc) {
        body.push_str(&format!(
            "<section><h2><span class=m>{method}</span> <code>{}</code></h2><p>{}</p>",
            escape(path),
            escape(
                op.summary
                    .as_deref()
                    .or(op.description.as_deref())
                    .unwrap_or("")
            )
        ));
        if let Some(params) = &op.parameters {
            body.push_str("<h3>Parameters</h3><ul>");
            for p in params {
                body.push_str(&format!(
                    "<li><code>{}</code> ({}){}</li>",
                    escape(&p.name),
                    serde_json::to_value(&p.parameter_in)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    p.description
                        .as_deref()
                        .map(|d| format!(" — {}", escape(d)))
                        .unwrap_or_default()
                ));
            }
            body.push_str("</ul>");
        }
        if let Some(req) = &op.request_body {
            let schema = serde_json::to_string(req).unwrap_or_default();
            body.push_str(&format!("<h3>Body</h3><pre>{}</pre>", escape(&schema)));
        }
        body.push_str("<h3>Responses</h3><ul>");
        for (code, resp) in &op.responses.responses {
            let text = match resp {
                utoipa::openapi::RefOr::T(r) => r.description.clone(),
                utoipa::openapi::RefOr::Ref(r) => r.ref_location.clone(),
            };
            body.push_str(&format!(
                "<li><b>{}</b> {}</li>",
                escape(code),
                escape(&text)
            ));
        }
        body.push_str("</ul></section>");
    }
    Html(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Box Office API</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}\
         section{{border-top:1px solid #ddd;padding:.5rem 0}}.m{{background:#222;color:#fff;padding:0 .4rem;border-radius:3px}}\
         pre{{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}}</style></head>\
         <body><h1>Box Office API</h1><p>Machine-readable: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>. \
         Errors are <code>application/problem+json</code>.</p>{body}</body></html>"
    ))
}
