//! The journeys: providers for a need — a stored need or a free-text request — retrieved
//! by text and by structure from the search index, scored on both sides and explained
//! (`providers`, `exposure`), behind one service, [`Matcher`] (`service`), that owns
//! the store, index, models, aggregates, exposure state and the CPU gate; enterprises for a commissioner and the city-wide
//! assignment (`commissioners`, `assign`); leads and gaps for brokers (`brokers`); the
//! programme overview (`overview`). Knows nothing of HTTP.

pub mod assign;
pub mod brokers;
pub mod commissioners;
pub mod evaluate;
pub mod exposure;
pub mod judgments;
pub mod overview;
mod providers;
mod service;
pub mod training;

pub use exposure::{Exposure, ExposurePolicy};
pub use providers::{
    Candidate, Context, ExposureControl, Inferred, MatchError, MatchRequest, MatchResponse,
    MatchResult, Prepared, ProviderFilter, features, need_text, order, prepare_need, prepare_text,
    rank, rank_with, retrieve,
};
pub use service::Matcher;
