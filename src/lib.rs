//! duijie (对接): matches technology SMEs' needs with pilot-scale platforms, technology
//! transfer agencies and technical brokers, and tells technology commissioners which
//! enterprises to serve. See `ARCHITECTURE.md` for the map of modules.

pub mod api;
pub mod app;
pub mod cli;
pub mod domain;
pub mod error_code;
pub mod ingest;
pub mod matching;
pub mod rank;
pub mod rng;
pub mod search;
pub mod settings;
pub mod store;
