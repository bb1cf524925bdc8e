//! The journeys. For now: providers for a need — a stored need or a free-text request —
//! retrieved by text and by structure from the search index, scored by a ranker, and
//! explained. Knows nothing of HTTP.

pub mod commissioners;
pub mod evaluate;
pub mod exposure;
mod providers;
pub mod training;

pub use exposure::{Exposure, ExposurePolicy};
pub use providers::{
    Candidate, Context, ExposureControl, Inferred, MatchError, MatchRequest, MatchResponse,
    MatchResult, Prepared, ProviderFilter, features, match_providers, need_text, order,
    prepare_need, prepare_text, rank, rank_with, retrieve,
};
