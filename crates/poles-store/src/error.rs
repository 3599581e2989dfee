use poles_core::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or refused; never turned into "not found".
    #[error("database error: {}", describe(.0))]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// Input data (an import or the shipped data) is unusable as a whole.
    #[error("bad data: {0}")]
    Data(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A valid request that the data as it stands refuses (the last active admin cannot be
    /// disabled): `code` is stable for clients, the field names the control at fault.
    #[error("{}", .reason.reason)]
    Refused {
        code: &'static str,
        reason: FieldError,
    },
    /// A write based on an old version: the record changed since it was read.
    #[error("the record changed since it was read (current version {current})")]
    Conflict { current: i64 },
    /// A backup or restore refused or failed, with what to do about it.
    #[error("{0}")]
    Backup(String),
    /// The audit chain's keys are missing or malformed.
    #[error("audit key: {0}")]
    Key(String),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST:PORT/DB")]
    Url(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// The database cannot be reached (down, restarting, out of connections): the request
    /// may succeed later, unlike a refused or failed query.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Database(
                sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Io(_)
                    | sqlx::Error::Tls(_)
                    | sqlx::Error::WorkerCrashed
            )
        )
    }
}

/// The database's own message where there is one (the `Any` driver's Display can be terse).
fn describe(e: &sqlx::Error) -> String {
    match e.as_database_error() {
        Some(d) => match d.code() {
            Some(code) => format!("{} ({code})", d.message()),
            None => d.message().to_string(),
        },
        None => e.to_string(),
    }
}
