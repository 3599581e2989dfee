//! Why a use case refused or failed. The web layer turns each cause into its HTTP answer;
//! database failures stay `Internal` and are never shown as "not found".

use poles_core::auth::Denied;
use poles_core::FieldError;
use poles_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A refused input, naming the field.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("sign in first")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(Denied),
    /// A write based on an old version: the record changed since it was read.
    #[error("the record changed since it was read (current version {current})")]
    Conflict { current: i64 },
    /// A valid request that the data as it stands refuses (409): the last active admin
    /// cannot be disabled, lose the role or be erased. `code` is stable for clients; the
    /// field names the control at fault.
    #[error("{}", .reason.reason)]
    Refused {
        code: &'static str,
        reason: FieldError,
    },
    #[error("too many requests; retry in {retry_after} s")]
    TooManyRequests { retry_after: i64 },
    #[error("too many failed attempts; retry in {retry_after} s")]
    Throttled { retry_after: i64 },
    #[error("the second factor code is required")]
    SecondFactorRequired,
    #[error("wrong e-mail, password or code")]
    BadCredentials,
    /// The database cannot be reached now; the request may be retried.
    #[error("the service is unavailable; retry in a few seconds")]
    Unavailable(StoreError),
    /// The database failed, or data it holds is unusable: logged, shown as a generic error.
    #[error(transparent)]
    Internal(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Invalid(f) => AppError::Invalid(f),
            StoreError::Conflict { current } => AppError::Conflict { current },
            StoreError::Refused { code, reason } => AppError::Refused { code, reason },
            other if other.is_unavailable() => AppError::Unavailable(other),
            other => AppError::Internal(other),
        }
    }
}
