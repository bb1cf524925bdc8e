//! What every import target asserts about the records the validator accepts.

use duijie::domain::validate::{Checked, Invalid, check};
use duijie::domain::{Entity, Record};

/// Checks the importer's promises for each line it read:
/// - a rejection has a stable code and a Chinese explanation;
/// - an accepted entity survives the store's round trip (`to_json` → `from_stored`)
///   unchanged, and re-importing its export gives the same record (records serialise
///   back to the import format exactly);
/// - an accepted feedback event has a fingerprint and re-imports unchanged.
pub fn check_lines(lines: &[(usize, Result<Checked, Invalid>)]) {
    for (line, outcome) in lines {
        match outcome {
            Err(invalid) => {
                assert!(!invalid.code.as_str().is_empty(), "line {line}: empty code");
                assert!(!invalid.detail.is_empty(), "line {line}: empty detail");
            }
            Ok(checked) => round_trip(&checked.record),
        }
    }
}

fn round_trip(record: &Record) {
    match record {
        Record::Entity(e) => {
            let json = e.to_json();
            let stored = json.to_string();
            let back = Entity::from_stored(e.kind(), &stored)
                .unwrap_or_else(|err| panic!("stored {stored} does not read back: {err}"));
            assert_eq!(&back, e, "store round trip changed the record: {stored}");
            let again = check(&json, None)
                .unwrap_or_else(|err| panic!("export {stored} does not re-import: {err:?}"));
            assert_eq!(
                &again.record, record,
                "re-importing the export changed the record: {stored}"
            );
        }
        Record::Feedback(f) => {
            assert_eq!(f.fingerprint().len(), 32);
            let mut json = serde_json::to_value(f).expect("feedback serialises");
            json["kind"] = "feedback".into();
            let again = check(&json, None)
                .unwrap_or_else(|err| panic!("export {json} does not re-import: {err:?}"));
            assert_eq!(
                &again.record, record,
                "re-importing the export changed the record: {json}"
            );
        }
    }
}
