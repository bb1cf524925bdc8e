//! Ranking: pair features for need → provider, the rankers that turn them into a score
//! (BM25 alone, the hand-weighted baseline; the learned model comes with training), and
//! the explanation of every score — each feature's value and its exact contribution, the
//! matched terms, and a one-line Chinese summary. Knows nothing of HTTP or SQL.

pub mod baseline;
pub mod explain;
pub mod features;
pub mod field_infer;
pub mod metrics;
pub mod model;
pub mod ranker;
pub mod reciprocity;
pub mod registry;
pub mod stats;
pub mod text_model;
pub mod train;

pub use explain::{Explanation, FeatureContribution, Scored};
pub use features::{Extra, Geo, NeedSide, PairFeatures};
pub use model::{ModelError, RankerModel};
pub use ranker::{Ranker, RankerName};
pub use reciprocity::{Load, ProviderSide, SideReason, provider_side};
pub use stats::{FeedbackStats, ProviderRecord};
