//! Open data, the pages: the catalogue, and each file served with its ETag (a download
//! not changed since answers 304) and byte ranges (a broken download resumes).

use crate::http::error::PageResult;
use crate::ui::chrome::Chrome;
use crate::ui::render::render_with;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use poles_app::opendata::{self, Catalogue, DatasetEntry};
use poles_core::Lang;

pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/open-data", get(catalogue_page))
        .route("/open-data/{file}", get(download))
}

#[derive(Template)]
#[template(path = "opendata.html")]
struct CataloguePage {
    c: Chrome,
    k: Catalogue,
}

impl CataloguePage {
    fn title(&self, d: &DatasetEntry) -> String {
        if self.c.lang() == Lang::En {
            d.title_en.clone()
        } else {
            d.title_fr.clone()
        }
    }
    fn description(&self, d: &DatasetEntry) -> String {
        if self.c.lang() == Lang::En {
            d.description_en.clone()
        } else {
            d.description_fr.clone()
        }
    }
    fn updated(&self) -> String {
        self.k.updated_at.as_deref().map_or_else(String::new, |u| {
            self.c.partial_date(u.get(..10).unwrap_or(u))
        })
    }
    fn columns(&self, d: &DatasetEntry) -> String {
        d.columns.join(", ")
    }
}

async fn catalogue_page(State(st): State<AppState>, c: Chrome) -> PageResult {
    let k = opendata::catalogue(&st.app).await?;
    Ok(render_with(CataloguePage { c, k }, StatusCode::OK))
}

/// One `bytes=` range of a file of `len` bytes, as (first, last) inclusive; `None` when the
/// header is not one satisfiable range (several ranges are answered whole, as RFC 9110 allows).
fn range(value: &str, len: usize) -> Option<Option<(usize, usize)>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return Some(None);
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let r = if a.is_empty() {
        let n: usize = b.parse().ok()?;
        if n == 0 || len == 0 {
            return None;
        }
        (len.saturating_sub(n), len - 1)
    } else {
        let first: usize = a.parse().ok()?;
        let last = if b.is_empty() {
            len.checked_sub(1)?
        } else {
            b.parse::<usize>().ok()?.min(len.checked_sub(1)?)
        };
        if first > last {
            return None;
        }
        (first, last)
    };
    Some(Some(r))
}

async fn download(
    State(st): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, crate::http::error::PageError> {
    let d = opendata::dump(&st.app, &file).await?;
    let etag = HeaderValue::from_str(&d.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let common = |mut r: Response| {
        let h = r.headers_mut();
        h.insert(header::ETAG, etag.clone());
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, no-cache"),
        );
        r
    };
    let matches = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == d.etag || t.trim() == "*"))
    };
    if matches(header::IF_NONE_MATCH) {
        return Ok(common(StatusCode::NOT_MODIFIED.into_response()));
    }
    let len = d.bytes.len();
    let disposition = format!("attachment; filename=\"{}\"", d.file_name);
    // A range applies only to the same bytes (If-Range with an ETag; without, always).
    let if_range_holds = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == d.etag);
    let wanted = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_holds);
    if let Some(value) = wanted {
        match range(value, len) {
            Some(Some((first, last))) => {
                let r = (
                    StatusCode::PARTIAL_CONTENT,
                    [
                        (header::CONTENT_TYPE, d.content_type.to_string()),
                        (header::CONTENT_DISPOSITION, disposition),
                        (header::CONTENT_RANGE, format!("bytes {first}-{last}/{len}")),
                    ],
                    d.bytes[first..=last].to_vec(),
                )
                    .into_response();
                return Ok(common(r));
            }
            Some(None) => {}
            None => {
                let r = (
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    [(header::CONTENT_RANGE, format!("bytes */{len}"))],
                )
                    .into_response();
                return Ok(common(r));
            }
        }
    }
    let r = (
        [
            (header::CONTENT_TYPE, d.content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        d.bytes.to_vec(),
    )
        .into_response();
    Ok(common(r))
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(range("bytes=0-9", 100), Some(Some((0, 9))));
        assert_eq!(range("bytes=90-", 100), Some(Some((90, 99))));
        assert_eq!(range("bytes=-10", 100), Some(Some((90, 99))));
        assert_eq!(range("bytes=95-200", 100), Some(Some((95, 99))));
        assert_eq!(range("bytes=100-", 100), None, "past the end");
        assert_eq!(range("bytes=5-2", 100), None);
        assert_eq!(range("bytes=0-1,5-6", 100), Some(None), "several: whole");
        assert_eq!(range("items=0-1", 100), None);
    }
}
