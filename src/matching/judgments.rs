//! Relevance judgments (data-model.md format): graded need → provider, free-text query →
//! provider and commissioner → enterprise pairs, read from a JSON-lines file. Offline
//! evaluation (`evaluate`) measures rankers on them; training (`training`) can learn
//! from them.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Grades by judged item.
pub type Grades = HashMap<String, u8>;

/// A judgments file, grouped.
#[derive(Debug, Default, Clone)]
pub struct Judgments {
    /// Need → provider grades.
    pub needs: BTreeMap<String, Grades>,
    /// Query id → (text, provider grades).
    pub queries: BTreeMap<String, (String, Grades)>,
    /// Commissioner → enterprise grades.
    pub commissioners: BTreeMap<String, Grades>,
}

/// Reads a judgments file; a bad line is an error naming it.
pub fn read_judgments(path: &Path) -> Result<Judgments, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut j = Judgments::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("{}:{}: not JSON: {e}", path.display(), i + 1))?;
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let grade = v
            .get("grade")
            .and_then(|g| g.as_u64())
            .filter(|g| *g <= 3)
            .ok_or_else(|| format!("{}:{}: grade must be 0–3", path.display(), i + 1))?
            as u8;
        match (
            s("need_id"),
            s("query_id"),
            s("commissioner_id"),
            s("provider_id"),
            s("enterprise_id"),
        ) {
            (Some(n), _, _, Some(p), _) => {
                j.needs.entry(n).or_default().insert(p, grade);
            }
            (None, Some(q), _, Some(p), _) => {
                let text = s("query").unwrap_or_default();
                let e = j
                    .queries
                    .entry(q)
                    .or_insert_with(|| (text.clone(), Grades::new()));
                if e.0.is_empty() {
                    e.0 = text;
                }
                e.1.insert(p, grade);
            }
            (_, _, Some(c), _, Some(e)) => {
                j.commissioners.entry(c).or_default().insert(e, grade);
            }
            _ => {
                return Err(format!(
                    "{}:{}: needs need_id/query_id + provider_id or commissioner_id + enterprise_id",
                    path.display(),
                    i + 1
                ));
            }
        }
    }
    Ok(j)
}
