//! Arbitrary bytes as a CSV import: the first byte picks the file's kind (as a file name
//! like `needs.csv` would, or none: then each row needs a `kind` column), the rest is the
//! file. Runs the importer's CSV reading (header, flexible rows, UTF-8 per cell) and
//! validation, then the round-trip promises of `common::check_lines`.
#![no_main]

mod common;

use duijie::ingest::{ImportError, SourceFormat, check_stream};
use libfuzzer_sys::fuzz_target;

const KINDS: [Option<&str>; 6] = [
    None,
    Some("enterprise"),
    Some("need"),
    Some("provider"),
    Some("commissioner"),
    Some("feedback"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let format = SourceFormat::Csv {
        kind: KINDS[usize::from(pick) % KINDS.len()].map(str::to_string),
    };
    match check_stream(file, &format) {
        Ok(lines) => common::check_lines(&lines),
        // An unreadable header is a clear error, not a crash.
        Err(ImportError::CsvHeader(_)) => {}
        Err(e) => panic!("reading memory cannot fail otherwise: {e}"),
    }
});
