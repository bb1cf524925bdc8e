//! The journeys. For now: providers for a need — a stored need or a free-text request —
//! retrieved by text and by structure from the search index, scored by a ranker, and
//! explained. Knows nothing of HTTP.

pub mod commissioners;
pub mod evaluate;
mod providers;
pub mod training;

pub use providers::{
    Candidate, Context, Inferred, MatchError, MatchRequest, MatchResponse, MatchResult, Prepared,
    features, match_providers, order, prepare_need, prepare_text, rank, retrieve,
};
