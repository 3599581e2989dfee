//! A JSON body extractor whose refusals are our JSON errors (400 naming the field), not
//! axum's plain-text ones.

use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use poles_core::FieldError;
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(refusal(&rejection).into()),
        }
    }
}

/// Turns axum's rejection into a field error; the field is serde's path when it names one.
fn refusal(r: &JsonRejection) -> FieldError {
    let text = r.body_text();
    match r {
        JsonRejection::JsonDataError(_) => {
            // "Failed to deserialize the JSON body into the target type: partners[0].kind: unknown variant …"
            let detail = text
                .split_once("target type: ")
                .map(|(_, d)| d)
                .unwrap_or(&text);
            match detail.split_once(": ") {
                Some((path, reason)) if !path.contains(' ') => FieldError::new(path, reason),
                _ => FieldError::new("body", detail),
            }
        }
        JsonRejection::MissingJsonContentType(_) => {
            FieldError::new("content-type", "must be application/json")
        }
        _ => FieldError::new("body", text),
    }
}
