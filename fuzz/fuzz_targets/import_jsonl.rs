//! Arbitrary bytes as a JSON Lines import: the importer's own line reading (byte-order
//! mark, UTF-8 check, JSON parse) and validation (`domain::validate::check`), then the
//! round-trip promises of `common::check_lines`. Only the store is left out.
#![no_main]

mod common;

use duijie::ingest::{SourceFormat, check_stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = check_stream(data, &SourceFormat::Jsonl).expect("reading memory cannot fail");
    let mut last = 0;
    for (line, _) in &lines {
        assert!(*line > last, "line numbers go up: {line} after {last}");
        last = *line;
    }
    common::check_lines(&lines);
});
