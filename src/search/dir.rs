//! The index directory on disk: whether duijie may delete what is in it, and clearing
//! what a crash left behind.
//!
//! duijie deletes only files it can prove it created: a directory is its own when it
//! holds the marker [`MARKER`] (written when duijie creates or first opens an index
//! there), or when every entry in it is named the way tantivy names its files. Even in
//! its own directory it deletes only tantivy's files; anything else is left alone. A
//! directory with other files and no marker (say a source folder named `index/`) is
//! never wiped: a damaged index there is reported instead. Knows nothing of the store.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The file that marks an index directory as created by duijie.
pub const MARKER: &str = ".duijie-index";

const MARKER_TEXT: &str = "This directory holds a duijie search index. duijie rebuilds it from \
the store when it is damaged and may delete the index files in it (never other files).\n";

/// Who a directory belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ownership {
    /// It holds duijie's marker, or only tantivy's files (or nothing).
    Ours {
        /// Whether the marker is already there.
        marked: bool,
    },
    /// It holds a file that neither duijie nor tantivy wrote (the first such name).
    Foreign(String),
}

/// Whether a file name is one tantivy gives its files: `meta.json`, `.managed.json`,
/// lock files, atomic-write temporaries and segment components (`<32 hex>.<ext>`).
pub(super) fn is_tantivy_file(name: &str) -> bool {
    if matches!(name, "meta.json" | ".managed.json") || name.starts_with(".tantivy-") {
        return true;
    }
    if name.starts_with(".tmp") {
        return true;
    }
    let (stem, ext) = match name.split_once('.') {
        Some(p) => p,
        None => return false,
    };
    stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()) && !ext.is_empty()
}

/// Looks at what `dir` holds.
pub(super) fn ownership(dir: &Path) -> std::io::Result<Ownership> {
    let mut marked = false;
    let mut foreign = None;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == MARKER {
            marked = true;
        } else if !(entry.file_type()?.is_file() && is_tantivy_file(&name)) && foreign.is_none() {
            foreign = Some(name);
        }
    }
    Ok(match (marked, foreign) {
        (true, _) | (false, None) => Ownership::Ours { marked },
        (false, Some(name)) => Ownership::Foreign(name),
    })
}

/// Writes the marker.
pub(super) fn mark(dir: &Path) -> std::io::Result<()> {
    std::fs::write(dir.join(MARKER), MARKER_TEXT)
}

/// Deletes tantivy's files in a directory of ours; leaves every other file.
pub(super) fn clear(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_file() && is_tantivy_file(&name) {
            std::fs::remove_file(entry.path())?;
        } else if name != MARKER {
            tracing::warn!(dir = %dir.display(), file = name, "not an index file; leaving it");
        }
    }
    Ok(())
}

/// Deletes delete-bitsets (`.del`) and temporaries (`.temp`) that no committed segment
/// uses: what a process killed in the middle of a commit leaves behind. tantivy would
/// otherwise refuse to write the same file name again (`FileAlreadyExists`) when the
/// same deletes are replayed after the restart.
pub(super) fn remove_stale(dir: &Path, living: &HashSet<PathBuf>) -> std::io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale_kind = name.ends_with(".del") || name.ends_with(".temp");
        if stale_kind
            && is_tantivy_file(&name)
            && !living.contains(Path::new(&name))
            && entry.file_type()?.is_file()
        {
            std::fs::remove_file(entry.path())?;
            tracing::warn!(dir = %dir.display(), file = name, "removed a file an interrupted commit left behind");
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tantivy_names() {
        assert!(is_tantivy_file("meta.json"));
        assert!(is_tantivy_file(".managed.json"));
        assert!(is_tantivy_file(".tantivy-writer.lock"));
        assert!(is_tantivy_file("0123456789abcdef0123456789abcdef.idx"));
        assert!(is_tantivy_file("0123456789abcdef0123456789abcdef.17.del"));
        assert!(!is_tantivy_file("dict.txt"));
        assert!(!is_tantivy_file("README.md"));
        assert!(!is_tantivy_file("thesaurus"));
    }

    #[test]
    fn a_folder_with_other_files_is_not_ours() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("meta.json"), "{").unwrap();
        assert_eq!(
            ownership(d.path()).unwrap(),
            Ownership::Ours { marked: false }
        );
        std::fs::write(d.path().join("dict.txt"), "x").unwrap();
        assert_eq!(
            ownership(d.path()).unwrap(),
            Ownership::Foreign("dict.txt".into())
        );
        mark(d.path()).unwrap();
        assert_eq!(
            ownership(d.path()).unwrap(),
            Ownership::Ours { marked: true }
        );
        clear(d.path()).unwrap();
        assert!(d.path().join("dict.txt").exists());
        assert!(!d.path().join("meta.json").exists());
    }
}
