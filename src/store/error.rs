//! Errors of the store layer.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// Applying migrations failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored document no longer parses (a bug or a hand-edited database).
    #[error("stored record does not parse: {0}")]
    Corrupt(serde_json::Error),
    /// A stored kind is unknown.
    #[error("stored kind is unknown: {0}")]
    BadKind(String),
    /// An enterprise still has needs.
    #[error("enterprise {id} still has {needs} needs")]
    HasDependents {
        /// The enterprise.
        id: String,
        /// How many needs it has.
        needs: i64,
    },
    /// The data directory could not be created.
    #[error("i/o error: {0}")]
    Io(std::io::Error),
    /// The operation is not available on this backend.
    #[error("{0}")]
    Unsupported(&'static str),
}

impl StoreError {
    /// Whether the store was too busy to answer in time: no free connection, or SQLite
    /// still locked by another writer after the busy timeout (`SQLITE_BUSY` and its
    /// extended codes). Worth retrying later, not a fault.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::PoolTimedOut) => true,
            StoreError::Db(sqlx::Error::Database(d)) => d
                .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                .and_then(sqlx::error::DatabaseError::code)
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|c| c & 0xff == 5),
            _ => false,
        }
    }
}
