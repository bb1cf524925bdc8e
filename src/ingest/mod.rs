//! Getting records in: JSONL/CSV parsing with line-numbered errors and referential
//! checks, batched writes to the store, and the demo-world generator. Knows nothing of
//! HTTP or tantivy.

pub mod demo;
pub mod import;

pub use import::{
    CsvRows, ImportError, ImportReport, Importer, JsonlLine, LineProblem, MAX_LISTED, SourceFormat,
    check_stream, read_jsonl_line,
};
