//! The journeys. For now: providers for a need — a stored need or a free-text request —
//! retrieved by text and by structure from the search index, scored by a ranker, and
//! explained. Knows nothing of HTTP.

mod providers;

pub use providers::{MatchError, MatchRequest, MatchResponse, MatchResult, Inferred, match_providers};
