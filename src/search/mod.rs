//! The search index: a tantivy index in the data directory over the four entity kinds,
//! Chinese text analysed by [`text::Analyzer`] (jieba + the shipped domain dictionary),
//! filters on kind, provider type, district, field, service and status, BM25 retrieval
//! with query-time synonyms, and highlighted snippets.
//!
//! The index follows the store's change log ([`SearchIndex::catch_up`]): it records the
//! last sequence it applied in its commit payload, so after a crash it catches up — or,
//! when it is missing, unreadable or of an older schema, rebuilds — and store and index
//! agree again. One writer (behind a lock) applies changes in batches; searches use the
//! reader's snapshot. Knows nothing of HTTP or model weights.

mod dir;
mod index;
mod query;
pub mod text;
mod weights;

pub use index::{IndexError, IndexStatus, ParsedProvider, SearchIndex, content_hash, id_hash};
pub use query::{Filter, Hit, SearchRequest, SearchResults};
pub use text::Analyzer;
