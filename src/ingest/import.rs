//! The import pipeline: a byte stream in JSON Lines (or CSV, one kind per file) becomes
//! validated records, checked against what the store already holds, written in batches.
//! Every line is judged on its own: a bad line is reported with its number, a machine code
//! and a Chinese explanation, and every good line still goes in. Memory stays bounded by
//! the batch size whatever the file size.

use crate::domain::validate::{Checked, Invalid, check};
use crate::domain::{Entity, EntityKind, Record};
use crate::error_code::Code;
use crate::store::{Applied, Store, StoreError};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::io::BufRead;

/// Records per store transaction.
const BATCH: usize = 1_000;
/// Rejections and warnings listed in full by default (`duijie import`); beyond this only
/// counted, per code. HTTP answers list fewer ([`Importer::listing_at_most`]).
pub const MAX_LISTED: usize = 10_000;
/// Longest `detail` kept in a report, in characters: a message quoting a huge value
/// must not make the report huge.
const MAX_DETAIL_CHARS: usize = 300;

/// The format of an import stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceFormat {
    /// JSON Lines: one object per line with a `kind`.
    Jsonl,
    /// CSV with a header row; `kind` from a `kind` column or the given default.
    Csv {
        /// The kind of every row that has no `kind` column.
        kind: Option<String>,
    },
}

impl SourceFormat {
    /// Guesses the format from a file name: `.csv` is CSV (the kind taken from a name
    /// like `needs.csv` or `providers-2026.csv`), anything else JSON Lines.
    pub fn for_path(path: &std::path::Path) -> SourceFormat {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if !name.ends_with(".csv") {
            return SourceFormat::Jsonl;
        }
        let kind = ["enterprise", "need", "provider", "commissioner", "feedback"]
            .into_iter()
            .find(|k| name.contains(k))
            .map(str::to_string);
        SourceFormat::Csv { kind }
    }
}

/// A rejected line or a warning.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LineProblem {
    /// 1-based line number in the input.
    pub line: usize,
    /// Stable machine code.
    pub code: Code,
    /// The field concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Chinese explanation.
    pub detail: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Lines read (not counting blank ones).
    pub lines: usize,
    /// New records stored.
    pub inserted: usize,
    /// Records that replaced a different stored version.
    pub updated: usize,
    /// Records identical to what was stored (re-imports).
    pub unchanged: usize,
    /// Number of rejected lines.
    pub rejected_count: usize,
    /// Rejected lines (the first 10,000; 100 in HTTP answers).
    pub rejected: Vec<LineProblem>,
    /// Rejected lines counted but not listed in `rejected`.
    pub rejected_omitted: usize,
    /// Rejected lines per code, all of them (listed or not).
    pub rejected_by_code: std::collections::BTreeMap<&'static str, usize>,
    /// Non-fatal remarks (the first 10,000; 100 in HTTP answers).
    pub warnings: Vec<LineProblem>,
    /// Warnings not listed in `warnings`.
    pub warnings_omitted: usize,
}

/// Errors that stop an import (as opposed to rejected lines, which do not).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the input failed.
    #[error("reading the input failed: {0}")]
    Io(#[from] std::io::Error),
    /// The store failed; lines before the failing batch are stored.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The CSV header is unreadable.
    #[error("the CSV header cannot be read: {0}")]
    CsvHeader(String),
}

/// Imports streams into a store.
pub struct Importer<'a> {
    store: &'a Store,
    report: ImportReport,
    pending: Vec<(usize, Record)>,
    /// Ids defined by lines already seen but not yet written (they count as existing for
    /// later lines of the same batch).
    pending_ids: HashSet<(EntityKind, String)>,
    progress: Option<Box<dyn FnMut(u64) + Send + 'a>>,
    /// Problems listed in the report before only counting.
    listed: usize,
}

impl<'a> Importer<'a> {
    /// A new import into `store`.
    pub fn new(store: &'a Store) -> Importer<'a> {
        Importer {
            store,
            report: ImportReport::default(),
            pending: Vec::new(),
            pending_ids: HashSet::new(),
            progress: None,
            listed: MAX_LISTED,
        }
    }

    /// Lists at most `n` rejected lines and `n` warnings; the rest are only counted
    /// (`rejected_omitted`, `rejected_by_code`, `warnings_omitted`). Default 10,000.
    pub fn listing_at_most(mut self, n: usize) -> Self {
        self.listed = n;
        self
    }

    /// Rejects line `line` for a reason found outside the importer (an API's own
    /// checks of a line before [`Importer::add`]).
    pub fn reject_line(&mut self, line: usize, invalid: Invalid) {
        self.reject(line, invalid);
    }

    /// Calls `f` with the number of bytes consumed so far, after every batch.
    pub fn on_progress(mut self, f: impl FnMut(u64) + Send + 'a) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// Reads a whole stream. Blocking reads are fine here: callers pass files or
    /// in-memory bodies.
    pub async fn read(
        &mut self,
        input: impl BufRead,
        format: &SourceFormat,
    ) -> Result<(), ImportError> {
        match format {
            SourceFormat::Jsonl => self.read_jsonl(input).await,
            SourceFormat::Csv { kind } => self.read_csv(input, kind.as_deref()).await,
        }
    }

    async fn read_jsonl(&mut self, mut input: impl BufRead) -> Result<(), ImportError> {
        let mut buf = Vec::new();
        let mut line_no = 0usize;
        let mut consumed = 0u64;
        loop {
            buf.clear();
            let n = input.read_until(b'\n', &mut buf)?;
            if n == 0 {
                break;
            }
            consumed += n as u64;
            line_no += 1;
            match read_jsonl_line(line_no, &buf) {
                JsonlLine::Blank => continue,
                JsonlLine::Unreadable(invalid) => {
                    self.reject(line_no, invalid);
                    continue;
                }
                JsonlLine::Read(parsed) => {
                    self.report.lines += 1;
                    match parsed {
                        Ok(v) => self.accept(line_no, &v, None).await?,
                        Err(invalid) => self.reject(line_no, invalid),
                    }
                }
            }
            if self.pending.len() >= BATCH {
                self.flush().await?;
                if let Some(p) = self.progress.as_mut() {
                    p(consumed);
                }
            }
        }
        self.flush().await?;
        if let Some(p) = self.progress.as_mut() {
            p(consumed);
        }
        Ok(())
    }

    async fn read_csv(
        &mut self,
        input: impl BufRead,
        kind: Option<&str>,
    ) -> Result<(), ImportError> {
        let mut rows = CsvRows::new(input)?;
        while let Some((line, row)) = rows.next_row()? {
            self.report.lines += 1;
            let obj = match row {
                Ok(obj) => obj,
                Err(invalid) => {
                    self.reject(line, invalid);
                    continue;
                }
            };
            self.accept(line, &Value::Object(obj), kind).await?;
            if self.pending.len() >= BATCH {
                self.flush().await?;
                if let Some(p) = self.progress.as_mut() {
                    p(rows.position());
                }
            }
        }
        self.flush().await?;
        Ok(())
    }

    /// Adds one already-parsed record (an API body), as line `line`; call
    /// [`Importer::finish`] after the last to write what is queued.
    pub async fn add(&mut self, line: usize, v: &Value) -> Result<(), ImportError> {
        self.report.lines += 1;
        self.accept(line, v, None).await?;
        if self.pending.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    /// Validates one parsed line and queues it.
    async fn accept(
        &mut self,
        line: usize,
        v: &Value,
        kind: Option<&str>,
    ) -> Result<(), ImportError> {
        match check(v, kind) {
            Err(invalid) => self.reject(line, invalid),
            Ok(checked) => {
                for w in checked.warnings {
                    self.warn(LineProblem {
                        line,
                        code: w.code,
                        field: Some(w.field),
                        detail: w.detail,
                    });
                }
                if let Record::Entity(e) = &checked.record {
                    self.pending_ids.insert((e.kind(), e.id().to_string()));
                }
                self.pending.push((line, checked.record));
            }
        }
        Ok(())
    }

    fn reject(&mut self, line: usize, invalid: Invalid) {
        self.report.rejected_count += 1;
        *self
            .report
            .rejected_by_code
            .entry(invalid.code.as_str())
            .or_default() += 1;
        if self.report.rejected.len() < self.listed {
            self.report.rejected.push(LineProblem {
                line,
                code: invalid.code,
                field: invalid.field,
                detail: shorten(invalid.detail),
            });
        } else {
            self.report.rejected_omitted += 1;
        }
    }

    fn warn(&mut self, p: LineProblem) {
        if self.report.warnings.len() < self.listed {
            self.report.warnings.push(LineProblem {
                detail: shorten(p.detail),
                ..p
            });
        } else {
            self.report.warnings_omitted += 1;
        }
    }

    /// Checks the queued records' references and writes the good ones.
    async fn flush(&mut self) -> Result<(), ImportError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let defined_here = std::mem::take(&mut self.pending_ids);
        // What the batch refers to, per kind.
        let mut wanted: HashMap<EntityKind, HashSet<&str>> = HashMap::new();
        for (_, r) in &pending {
            for (kind, id, _) in references(r) {
                wanted.entry(kind).or_default().insert(id);
            }
        }
        let mut known: HashSet<(EntityKind, String)> = HashSet::new();
        for (kind, ids) in &wanted {
            let ids: Vec<&str> = ids.iter().copied().collect();
            for id in self.store.existing_ids(*kind, &ids).await? {
                known.insert((*kind, id));
            }
        }
        // Walk in order: a reference is good if stored, or defined by an earlier line.
        let mut earlier: HashSet<(EntityKind, String)> = HashSet::new();
        let mut good: Vec<Record> = Vec::with_capacity(pending.len());
        for (line, r) in pending {
            let missing = references(&r).into_iter().find(|(kind, id, _)| {
                let key = (*kind, id.to_string());
                !known.contains(&key) && !earlier.contains(&key)
            });
            if let Some((kind, id, field)) = missing {
                let hint = if defined_here.contains(&(kind, id.to_string())) {
                    "（它在本文件更靠后的行中，请把被引用的记录放在前面）"
                } else {
                    ""
                };
                self.reject(
                    line,
                    Invalid::new(
                        Code::UnknownReference,
                        Some(field),
                        format!("引用的{}“{id}”不存在{hint}", kind.zh()),
                    ),
                );
                continue;
            }
            if let Record::Entity(e) = &r {
                earlier.insert((e.kind(), e.id().to_string()));
            }
            good.push(r);
        }
        for outcome in self.store.apply(&good).await? {
            match outcome {
                Applied::Inserted => self.report.inserted += 1,
                Applied::Updated => self.report.updated += 1,
                Applied::Unchanged => self.report.unchanged += 1,
            }
        }
        Ok(())
    }

    /// Writes what is still queued and returns the report (rejected lines sorted by
    /// line number).
    pub async fn finish(mut self) -> Result<ImportReport, ImportError> {
        self.flush().await?;
        self.report.rejected.sort_by_key(|p| p.line);
        Ok(self.report)
    }
}

/// Cuts a detail to [`MAX_DETAIL_CHARS`] characters.
fn shorten(mut detail: String) -> String {
    if let Some((at, _)) = detail.char_indices().nth(MAX_DETAIL_CHARS) {
        detail.truncate(at);
        detail.push('…');
    }
    detail
}

/// One line of a JSON Lines stream, as read.
#[derive(Debug)]
pub enum JsonlLine {
    /// Empty or only white space: skipped, not counted.
    Blank,
    /// Not UTF-8: rejected, not counted as a line read.
    Unreadable(Invalid),
    /// A line read: its JSON value, or why it is not JSON.
    Read(Result<Value, Invalid>),
}

/// Reads line `line_no` (1-based) of a JSON Lines stream, `raw` with or without its
/// line end; a UTF-8 byte-order mark is skipped on line 1. This is what the importer
/// does with each line before validation.
pub fn read_jsonl_line(line_no: usize, raw: &[u8]) -> JsonlLine {
    let mut bytes = raw;
    if line_no == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes = &bytes[3..];
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return JsonlLine::Unreadable(Invalid::new(
                Code::InvalidEncoding,
                None,
                format!(
                    "第 {line_no} 行不是合法的 UTF-8（第 {} 字节起）；文件可能是 GBK 编码，请另存为 UTF-8",
                    e.valid_up_to() + 1
                ),
            ));
        }
    };
    let text = text.trim();
    if text.is_empty() {
        return JsonlLine::Blank;
    }
    JsonlLine::Read(serde_json::from_str::<Value>(text).map_err(|e| {
        Invalid::new(
            Code::MalformedJson,
            None,
            format!("第 {line_no} 行不是合法的 JSON：{e}"),
        )
    }))
}

/// The rows of a CSV stream with a header row, each as the JSON object the validator
/// reads (header → trimmed cell; empty cells left out).
pub struct CsvRows<R> {
    rdr: csv::Reader<R>,
    headers: Vec<String>,
    record: csv::ByteRecord,
}

impl<R: BufRead> CsvRows<R> {
    /// Reads the header row.
    pub fn new(input: R) -> Result<CsvRows<R>, ImportError> {
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let headers: Vec<String> = rdr
            .byte_headers()
            .map_err(|e| ImportError::CsvHeader(e.to_string()))?
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect();
        Ok(CsvRows {
            rdr,
            headers,
            record: csv::ByteRecord::new(),
        })
    }

    /// The next row: its line number and its object, or why it cannot be read; `None`
    /// at the end. Fails only when reading the input fails.
    #[allow(clippy::type_complexity)]
    pub fn next_row(
        &mut self,
    ) -> Result<Option<(usize, Result<Map<String, Value>, Invalid>)>, ImportError> {
        match self.rdr.read_byte_record(&mut self.record) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                if let csv::ErrorKind::Io(_) = e.kind() {
                    // Retrying a failed read would fail again, for ever.
                    return Err(match e.into_kind() {
                        csv::ErrorKind::Io(io) => ImportError::Io(io),
                        _ => unreachable!("checked above"),
                    });
                }
                return Ok(Some((
                    line,
                    Err(Invalid::new(
                        Code::MalformedCsv,
                        None,
                        format!("第 {line} 行 CSV 格式错误：{e}"),
                    )),
                )));
            }
        }
        let line = self
            .record
            .position()
            .map(|p| p.line() as usize)
            .unwrap_or(0);
        let mut obj = Map::new();
        for (h, cell) in self.headers.iter().zip(self.record.iter()) {
            match std::str::from_utf8(cell) {
                Ok(c) if c.trim().is_empty() => {}
                Ok(c) => {
                    obj.insert(h.clone(), Value::String(c.trim().to_string()));
                }
                Err(_) => {
                    return Ok(Some((
                        line,
                        Err(Invalid::new(
                            Code::InvalidEncoding,
                            Some(h),
                            format!(
                                "第 {line} 行的 {h} 列不是合法的 UTF-8；文件可能是 GBK 编码，请另存为 UTF-8"
                            ),
                        )),
                    )));
                }
            }
        }
        Ok(Some((line, Ok(obj))))
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.rdr.position().byte()
    }
}

/// Reads and validates a whole stream as the importer does, without a store: each
/// counted line's number and its checked record, or why it was rejected (references to
/// other records are not checked and nothing is written). For fuzzing and tests.
#[doc(hidden)]
#[allow(clippy::type_complexity)]
pub fn check_stream(
    mut input: impl BufRead,
    format: &SourceFormat,
) -> Result<Vec<(usize, Result<Checked, Invalid>)>, ImportError> {
    let mut out = Vec::new();
    match format {
        SourceFormat::Jsonl => {
            let mut buf = Vec::new();
            let mut line_no = 0usize;
            loop {
                buf.clear();
                if input.read_until(b'\n', &mut buf)? == 0 {
                    break;
                }
                line_no += 1;
                match read_jsonl_line(line_no, &buf) {
                    JsonlLine::Blank => {}
                    JsonlLine::Unreadable(invalid) => out.push((line_no, Err(invalid))),
                    JsonlLine::Read(v) => out.push((line_no, v.and_then(|v| check(&v, None)))),
                }
            }
        }
        SourceFormat::Csv { kind } => {
            let mut rows = CsvRows::new(input)?;
            while let Some((line, row)) = rows.next_row()? {
                out.push((
                    line,
                    row.and_then(|obj| check(&Value::Object(obj), kind.as_deref())),
                ));
            }
        }
    }
    Ok(out)
}

/// The ids a record refers to: kind, id and the field that names it.
fn references(r: &Record) -> Vec<(EntityKind, &str, &'static str)> {
    match r {
        Record::Entity(Entity::Need(n)) => {
            vec![(
                EntityKind::Enterprise,
                n.enterprise_id.as_str(),
                "enterprise_id",
            )]
        }
        Record::Entity(_) => Vec::new(),
        Record::Feedback(f) => [
            (EntityKind::Need, &f.need_id, "need_id"),
            (EntityKind::Provider, &f.provider_id, "provider_id"),
            (EntityKind::Enterprise, &f.enterprise_id, "enterprise_id"),
            (
                EntityKind::Commissioner,
                &f.commissioner_id,
                "commissioner_id",
            ),
            (EntityKind::Provider, &f.broker_id, "broker_id"),
        ]
        .into_iter()
        .filter_map(|(kind, id, field)| id.as_ref().map(|id| (kind, id.as_str(), field)))
        .collect(),
    }
}
