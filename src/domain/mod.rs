//! The domain: record types, the closed vocabularies (fields, services, provider types,
//! districts and their neighbours) and validation of untrusted records. Knows nothing of
//! SQL, tantivy or HTTP.

pub mod access;
pub mod concepts;
pub mod cues;
pub mod exclusions;
pub mod phrases;
pub mod place;
pub mod records;
pub mod validate;
pub mod vocab;

pub use place::{Districts, Place};
pub use records::{Commissioner, Enterprise, Entity, Feedback, Id, Need, Provider, Record};
pub use vocab::{
    Actor, Certification, EntityKind, FeedbackEvent, Field, NeedStatus, ProviderType, Role,
    Service, Visibility,
};
