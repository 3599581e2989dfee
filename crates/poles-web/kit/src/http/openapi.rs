//! The OpenAPI document's shared parts, written once so that each operation cannot forget
//! them: the security schemes, which operations need a sign-in ([`signed_in`]), the page
//! parameters with their bounds ([`PageQuery`]) and the refusals every operation of a kind
//! can answer ([`finish`]: a body or a query that does not parse is a 400, a path naming
//! nothing a 404, an unavailable database a 503). The integration test `openapi` drives every
//! operation and validates each answer against the document, so that it stays true.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;

/// The security scheme of the session cookie that `POST /api/v1/session` sets.
pub const SESSION: &str = "session";
/// The security scheme of the CSRF token that cookie-authenticated writes send.
pub const CSRF: &str = "csrf";
/// The security scheme of API tokens (`POST /api/v1/tokens`).
pub const BEARER: &str = "bearer";

/// A page of a list, with the bounds [`poles_core::Page::parse`] enforces.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows to return: 1-500, default 50.
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// Rows to skip: 0-10,000,000, default 0.
    #[param(minimum = 0, maximum = 10_000_000, default = 0)]
    pub offset: Option<i64>,
}

/// Shared responses, referred to by name from the operations.
const BAD_REQUEST: (&str, &str) = (
    "BadRequest",
    "A parameter, the path or the body is refused (a control character such as NUL is refused in any of them); `field` names it",
);
const UNAUTHENTICATED: (&str, &str) = (
    "Unauthenticated",
    "Not signed in: no session, or an expired session or an unknown, revoked or disabled token",
);
const FORBIDDEN: (&str, &str) = (
    "Forbidden",
    "Refused: the caller's roles or token do not allow it, or a write came without the \
     session's CSRF token or from another site (`code`: `csrf`)",
);
const NOT_FOUND: (&str, &str) = ("NotFound", "Nothing is found at this path");
const UNAVAILABLE: (&str, &str) = (
    "Unavailable",
    "The database cannot be reached; try again after `Retry-After` seconds",
);

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

/// Adds a reference to a shared response under `status`, unless the operation documents
/// that status itself.
fn refer(op: &mut Operation, status: &str, (name, _): (&str, &str)) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
}

fn operations(item: &mut PathItem) -> Vec<(bool, &mut Operation)> {
    let PathItem {
        get,
        put,
        post,
        delete,
        options,
        head,
        patch,
        trace,
        ..
    } = item;
    let reads = [get, head, options].into_iter().map(|o| (false, o));
    let writes = [put, post, delete, patch, trace]
        .into_iter()
        .map(|o| (true, o));
    reads
        .chain(writes)
        .filter_map(|(write, o)| o.as_mut().map(|o| (write, o)))
        .collect()
}

/// Documents every operation of `router` as needing a sign-in — a session cookie (with the
/// CSRF header for writes) or a bearer token — and so as answering 401 without one. The handlers themselves take
/// [`crate::http::extract::SignedIn`]; the `openapi` integration test calls every operation
/// anonymously and checks that exactly these answer 401.
pub fn signed_in<S>(mut router: OpenApiRouter<S>) -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    let no_scopes: [&str; 0] = [];
    for item in router.get_openapi_mut().paths.paths.values_mut() {
        for (write, op) in operations(item) {
            let session = if write {
                SecurityRequirement::new(SESSION, no_scopes).add(CSRF, no_scopes)
            } else {
                SecurityRequirement::new(SESSION, no_scopes)
            };
            op.security = Some(vec![session, SecurityRequirement::new(BEARER, no_scopes)]);
            refer(op, "401", UNAUTHENTICATED);
        }
    }
    router
}

/// Completes the merged document: the security schemes, the shared responses, and on every
/// operation the refusals its kind can answer (400 when it takes a body or query parameters,
/// 403 when it writes — a write without the CSRF token, or from another site, is refused
/// before anything else —, 404 when its path names something, 503 always).
pub fn finish(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SESSION,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            "poles_session",
            "The session cookie set by `POST /api/v1/session` (named `__Host-poles_session` \
             when the server runs with `--secure-cookies`).",
        ))),
    );
    components.add_security_scheme(
        CSRF,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-CSRF-Token",
            "The `csrf_token` of the session (from `POST /api/v1/session` or `GET /api/v1/me`), \
             required with every cookie-authenticated write.",
        ))),
    );
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API token from `POST /api/v1/tokens`, as `Authorization: Bearer …`; a \
                     `read` token cannot write. No CSRF token is needed.",
                ))
                .build(),
        ),
    );
    for (name, description) in [
        BAD_REQUEST,
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        UNAVAILABLE,
    ] {
        components
            .responses
            .insert(name.to_string(), RefOr::T(error_response(description)));
    }
    for item in doc.paths.paths.values_mut() {
        for (write, op) in operations(item) {
            let params = op.parameters.as_deref().unwrap_or_default();
            let in_path = params
                .iter()
                .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Path));
            // Any operation: the edge refuses a control character in the path or the query.
            refer(op, "400", BAD_REQUEST);
            if write {
                refer(op, "403", FORBIDDEN);
            }
            if in_path {
                refer(op, "404", NOT_FOUND);
            }
            refer(op, "503", UNAVAILABLE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poles_core::Page;

    /// The documented bounds are the ones the parser enforces.
    #[test]
    fn page_bounds_are_the_parsers() {
        let params = serde_json::to_value(PageQuery::into_params(|| None)).unwrap();
        let bound = |name: &str, key: &str| {
            params
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap()["schema"][key]
                .as_i64()
                .unwrap()
        };
        let (lo, hi) = (bound("limit", "minimum"), bound("limit", "maximum"));
        assert_eq!(hi, Page::MAX_LIMIT);
        assert!(Page::parse(Some(&lo.to_string()), None).is_ok());
        assert!(Page::parse(Some(&(lo - 1).to_string()), None).is_err());
        assert!(Page::parse(Some(&hi.to_string()), None).is_ok());
        assert!(Page::parse(Some(&(hi + 1).to_string()), None).is_err());
        assert_eq!(
            bound("limit", "default"),
            Page::parse(None, None).unwrap().limit
        );
        let (lo, hi) = (bound("offset", "minimum"), bound("offset", "maximum"));
        assert!(Page::parse(None, Some(&lo.to_string())).is_ok());
        assert!(Page::parse(None, Some(&(lo - 1).to_string())).is_err());
        assert!(Page::parse(None, Some(&hi.to_string())).is_ok());
        assert!(Page::parse(None, Some(&(hi + 1).to_string())).is_err());
    }
}
