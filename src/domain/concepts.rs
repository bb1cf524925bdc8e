//! The domain thesaurus: technology concepts with their surface forms (synonyms, trade
//! jargon, abbreviations, colloquial phrasings), broader concepts, fields and typical
//! services, read from `index/thesaurus/*.tsv` (embedded at build time; format in
//! `index/README.md`). It finds the concepts a free text mentions in one Aho–Corasick pass
//! over the raw text (ASCII case-insensitively, ASCII forms only at word boundaries), so
//! no surface form depends on how jieba cuts it.
//!
//! What it is used for: the concept overlap of a need and a provider (with broader
//! concepts, so "HDI板" meets "印制电路板"), query expansion, and field inference from
//! free text. Guessed structure is soft evidence: nothing here filters.

use super::{Field, Service};
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The embedded thesaurus files, by name.
pub const SOURCES: &[(&str, &str)] = &[
    ("core.tsv", include_str!("../../index/thesaurus/core.tsv")),
    (
        "services.tsv",
        include_str!("../../index/thesaurus/services.tsv"),
    ),
    ("it.tsv", include_str!("../../index/thesaurus/it.tsv")),
    (
        "auto_equipment.tsv",
        include_str!("../../index/thesaurus/auto_equipment.tsv"),
    ),
    (
        "energy_carbon.tsv",
        include_str!("../../index/thesaurus/energy_carbon.tsv"),
    ),
    (
        "bio_agri.tsv",
        include_str!("../../index/thesaurus/bio_agri.tsv"),
    ),
    (
        "materials.tsv",
        include_str!("../../index/thesaurus/materials.tsv"),
    ),
];

/// A concept's position in [`Thesaurus::concepts`].
pub type ConceptId = u32;

/// One concept.
#[derive(Debug, Clone)]
pub struct Concept {
    /// The canonical Chinese name (shown in explanations).
    pub name: String,
    /// Every surface form, the name first.
    pub surfaces: Vec<String>,
    /// Broader concepts.
    pub broader: Vec<ConceptId>,
    /// Fields it belongs to.
    pub fields: Vec<Field>,
    /// Services a need about it typically asks for.
    pub services: Vec<Service>,
}

impl Concept {
    /// Whether this is a service concept (what is asked for, not which technology): it
    /// names services and no technology field but `other`.
    pub fn is_service(&self) -> bool {
        !self.services.is_empty() && self.fields.iter().all(|f| *f == Field::Other)
    }
}

/// A concept found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// The concept.
    pub concept: ConceptId,
    /// The text as written (byte range `start..end` of the text).
    pub surface: String,
    /// Byte offset of the start.
    pub start: usize,
    /// Byte offset of the end.
    pub end: usize,
}

/// Why the thesaurus files could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct ThesaurusError {
    /// The file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// The thesaurus with its automaton.
pub struct Thesaurus {
    concepts: Vec<Concept>,
    automaton: AhoCorasick,
    /// Pattern → the concepts it names (a form two files both use names both).
    pattern_concepts: Vec<Vec<ConceptId>>,
    /// Pattern → whether it is pure ASCII (matched only at word boundaries).
    pattern_ascii: Vec<bool>,
    /// Concept → its broader concepts up to [`ANCESTOR_DEPTH`] levels, nearest first, with
    /// their level (computed once: read for every candidate of every match).
    ancestors: Vec<Vec<(ConceptId, u8)>>,
}

/// How many levels of broader concepts are followed.
const ANCESTOR_DEPTH: usize = 3;

impl std::fmt::Debug for Thesaurus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Thesaurus")
            .field("concepts", &self.concepts.len())
            .field("patterns", &self.pattern_concepts.len())
            .finish()
    }
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([';', '；'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
}

impl Thesaurus {
    /// The embedded thesaurus (parsed once; the embedded files are checked by a test).
    pub fn get() -> &'static Thesaurus {
        static T: OnceLock<Thesaurus> = OnceLock::new();
        T.get_or_init(|| match Thesaurus::parse(SOURCES) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "embedded thesaurus does not parse; concepts off");
                Thesaurus::parse(&[]).expect("an empty thesaurus builds")
            }
        })
    }

    /// Parses thesaurus files: `概念 TAB 别名;… TAB 上位概念;… TAB 领域;… TAB 服务;…`,
    /// `#` comments and blank lines ignored. Concepts of the same name are merged; a
    /// broader concept that has no line of its own becomes a concept with its name alone.
    pub fn parse(sources: &[(&str, &str)]) -> Result<Thesaurus, ThesaurusError> {
        let mut concepts: Vec<Concept> = Vec::new();
        let mut by_name: HashMap<String, ConceptId> = HashMap::new();
        let mut broader_names: Vec<(ConceptId, String)> = Vec::new();
        let mut intern = |concepts: &mut Vec<Concept>, name: &str| -> ConceptId {
            *by_name.entry(name.to_string()).or_insert_with(|| {
                concepts.push(Concept {
                    name: name.to_string(),
                    surfaces: vec![name.to_string()],
                    broader: Vec::new(),
                    fields: Vec::new(),
                    services: Vec::new(),
                });
                (concepts.len() - 1) as ConceptId
            })
        };
        for (file, text) in sources {
            for (i, raw) in text.lines().enumerate() {
                let line = raw.trim_end_matches('\r');
                if line.trim().is_empty() || line.trim_start().starts_with('#') {
                    continue;
                }
                let err = |reason: String| ThesaurusError {
                    file: file.to_string(),
                    line: i + 1,
                    reason,
                };
                let cols: Vec<&str> = line.split('\t').collect();
                if cols.len() < 4 || cols.len() > 5 {
                    return Err(err(format!(
                        "expected 5 tab-separated columns, found {}",
                        cols.len()
                    )));
                }
                let name = cols[0].trim();
                if name.is_empty() {
                    return Err(err("empty concept name".into()));
                }
                let id = intern(&mut concepts, name);
                for alias in split_list(cols[1]) {
                    let c = &mut concepts[id as usize];
                    if !c.surfaces.iter().any(|s| s == alias) {
                        c.surfaces.push(alias.to_string());
                    }
                }
                for b in split_list(cols[2]) {
                    if b != name {
                        broader_names.push((id, b.to_string()));
                    }
                }
                for f in split_list(cols[3]) {
                    let f = Field::parse(f).map_err(|e| err(e.message))?;
                    let c = &mut concepts[id as usize];
                    if !c.fields.contains(&f) {
                        c.fields.push(f);
                    }
                }
                for s in split_list(cols.get(4).copied().unwrap_or("")) {
                    let s = Service::parse(s).map_err(|e| err(e.message))?;
                    let c = &mut concepts[id as usize];
                    if !c.services.contains(&s) {
                        c.services.push(s);
                    }
                }
            }
        }
        for (id, b) in broader_names {
            let bid = intern(&mut concepts, &b);
            let c = &mut concepts[id as usize];
            if !c.broader.contains(&bid) {
                c.broader.push(bid);
            }
        }
        // A broader concept without fields of its own takes its narrower ones' fields.
        for id in 0..concepts.len() {
            let fields = concepts[id].fields.clone();
            for b in concepts[id].broader.clone() {
                let bc = &mut concepts[b as usize];
                if bc.fields.is_empty() {
                    bc.fields = fields.clone();
                }
            }
        }
        let mut patterns: Vec<String> = Vec::new();
        let mut pattern_concepts: Vec<Vec<ConceptId>> = Vec::new();
        let mut pattern_of: HashMap<String, usize> = HashMap::new();
        for (id, c) in concepts.iter().enumerate() {
            for s in &c.surfaces {
                let key = s.to_lowercase();
                let too_short = if key.is_ascii() {
                    key.len() < 2
                } else {
                    key.chars().count() < 2
                };
                if too_short {
                    continue;
                }
                let p = *pattern_of.entry(key.clone()).or_insert_with(|| {
                    patterns.push(key);
                    pattern_concepts.push(Vec::new());
                    patterns.len() - 1
                });
                if !pattern_concepts[p].contains(&(id as ConceptId)) {
                    pattern_concepts[p].push(id as ConceptId);
                }
            }
        }
        let pattern_ascii = patterns.iter().map(|p| p.is_ascii()).collect();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(true)
            .build(&patterns)
            .map_err(|e| ThesaurusError {
                file: "(all)".into(),
                line: 0,
                reason: e.to_string(),
            })?;
        let ancestors = (0..concepts.len())
            .map(|id| walk_ancestors(&concepts, id as ConceptId, ANCESTOR_DEPTH))
            .collect();
        Ok(Thesaurus {
            concepts,
            automaton,
            pattern_concepts,
            pattern_ascii,
            ancestors,
        })
    }

    /// Every concept.
    pub fn concepts(&self) -> &[Concept] {
        &self.concepts
    }

    /// One concept.
    pub fn concept(&self, id: ConceptId) -> &Concept {
        &self.concepts[id as usize]
    }

    /// The concepts mentioned in `text`, left to right, longest form first where forms
    /// overlap ("HDI板" is one mention, not "HDI" and then "板").
    pub fn mentions(&self, text: &str) -> Vec<Mention> {
        let bytes = text.as_bytes();
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut out = Vec::new();
        for m in self.automaton.find_iter(text) {
            let p = m.pattern().as_usize();
            if self.pattern_ascii[p] {
                let before = m.start().checked_sub(1).map(|i| bytes[i]);
                let after = bytes.get(m.end()).copied();
                // "PCB板" and "做PCB" are fine; "PCBA" is not "PCB".
                if before.is_some_and(word) || after.is_some_and(word) {
                    continue;
                }
            }
            for &concept in &self.pattern_concepts[p] {
                out.push(Mention {
                    concept,
                    surface: text[m.start()..m.end()].to_string(),
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        out
    }

    /// The broader concepts of `id`, nearest first, up to three levels, with their level.
    pub fn ancestors(&self, id: ConceptId) -> &[(ConceptId, u8)] {
        &self.ancestors[id as usize]
    }

    /// The concepts of a text, with how they were written.
    pub fn bag(&self, text: &str) -> ConceptBag {
        let mut direct: Vec<(ConceptId, String)> = Vec::new();
        for m in self.mentions(text) {
            if !direct.iter().any(|(c, _)| *c == m.concept) {
                direct.push((m.concept, m.surface));
            }
        }
        let mut ancestors: Vec<(ConceptId, ConceptId)> = Vec::new();
        for (c, _) in &direct {
            for &(a, _) in self.ancestors(*c) {
                if !direct.iter().any(|(d, _)| *d == a) && !ancestors.iter().any(|(x, _)| *x == a) {
                    ancestors.push((a, *c));
                }
            }
        }
        let mut direct_ids: Vec<ConceptId> = direct.iter().map(|(c, _)| *c).collect();
        direct_ids.sort_unstable();
        let mut ancestor_ids: Vec<ConceptId> = ancestors.iter().map(|(a, _)| *a).collect();
        ancestor_ids.sort_unstable();
        ConceptBag {
            direct,
            ancestors,
            direct_ids,
            ancestor_ids,
        }
    }
}

fn walk_ancestors(concepts: &[Concept], id: ConceptId, depth: usize) -> Vec<(ConceptId, u8)> {
    let mut out: Vec<(ConceptId, u8)> = Vec::new();
    let mut frontier = vec![id];
    for level in 1..=depth {
        let mut next = Vec::new();
        for c in frontier {
            for &b in &concepts[c as usize].broader {
                if b != id && !out.iter().any(|(x, _)| *x == b) {
                    out.push((b, level as u8));
                    next.push(b);
                }
            }
        }
        frontier = next;
    }
    out
}

/// The concepts a text mentions and their broader concepts.
#[derive(Debug, Clone, Default)]
pub struct ConceptBag {
    /// Mentioned concepts with the form written first.
    pub direct: Vec<(ConceptId, String)>,
    /// Broader concepts of those, each with the mentioned concept it came from.
    pub ancestors: Vec<(ConceptId, ConceptId)>,
    /// `direct`'s concepts, sorted (for lookups).
    direct_ids: Vec<ConceptId>,
    /// `ancestors`' concepts, sorted.
    ancestor_ids: Vec<ConceptId>,
}

impl ConceptBag {
    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.direct.is_empty()
    }

    /// Whether the text names `c` itself.
    pub fn has_direct(&self, c: ConceptId) -> bool {
        self.direct_ids.binary_search(&c).is_ok()
    }

    /// Whether `c` is broader than something the text names.
    pub fn has_ancestor(&self, c: ConceptId) -> bool {
        self.ancestor_ids.binary_search(&c).is_ok()
    }
}

/// How strongly a concept of the need counts: technology concepts fully, service concepts
/// (what is asked, which the service features already weigh) a little.
fn concept_weight(t: &Thesaurus, c: ConceptId) -> f64 {
    if t.concept(c).is_service() { 0.25 } else { 1.0 }
}

/// One concept of the need found on the provider's side.
#[derive(Debug, Clone, PartialEq)]
pub struct ConceptMatch {
    /// The concept both share (the need's, or the broader one that joins them).
    pub concept: ConceptId,
    /// How the need wrote it.
    pub need_surface: String,
    /// How much of the need's concept this covers (1 the same concept; less through a
    /// broader one).
    pub strength: f64,
}

/// How one concept of the need is found on the provider's side: (strength, the concept
/// that joins them) — the provider names it: 1; names a narrower one: 0.8; names a
/// broader one: 0.6 (two levels up: 0.45); both share a broader one: 0.3.
fn best_match(t: &Thesaurus, c: ConceptId, provider: &ConceptBag) -> Option<(f64, ConceptId)> {
    if provider.has_direct(c) {
        return Some((1.0, c));
    }
    if provider.has_ancestor(c) {
        return Some((0.8, c));
    }
    let mut best: Option<(f64, ConceptId)> = None;
    for &(a, level) in t.ancestors(c) {
        let s = if level > 2 {
            continue;
        } else if provider.has_direct(a) {
            if level == 1 { 0.6 } else { 0.45 }
        } else if level == 1 && provider.has_ancestor(a) && !t.concept(a).is_service() {
            0.3
        } else {
            continue;
        };
        if best.is_none_or(|(b, _)| s > b) {
            best = Some((s, a));
        }
    }
    best
}

/// The overlap of a need's concepts with a provider's: Σ over the need's concepts of its
/// weight × how it is found on the provider's side ([`best_match`]), over the need's
/// total weight; 0 when the need mentions no concept. For many providers against one
/// need, build [`NeedConcepts`] once and call [`NeedConcepts::overlap_with`].
pub fn overlap(t: &Thesaurus, need: &ConceptBag, provider: &ConceptBag) -> f64 {
    let mut total = 0.0;
    let mut got = 0.0;
    for (c, _) in need.direct.iter().take(MAX_NEED_CONCEPTS) {
        let w = concept_weight(t, *c);
        total += w;
        got += w * best_match(t, *c, provider).map_or(0.0, |m| m.0);
    }
    if total > 0.0 { got / total } else { 0.0 }
}

/// Most concepts of one need that count in the overlap (the first ones mentioned).
const MAX_NEED_CONCEPTS: usize = 64;

/// A need's concepts prepared for the overlap with many providers: every concept a
/// provider could name that would match one of them, with the strength it would give
/// when the provider names it itself or names something narrower.
#[derive(Debug, Clone, Default)]
pub struct NeedConcepts {
    /// Concept → 1 + its index in `spans` (0: it does not match anything of the need),
    /// one slot per thesaurus concept, so a provider's concepts are looked up directly.
    slot: Vec<u16>,
    /// For `keys[k]`, its entries `entries[spans[k].0..spans[k].1]`.
    spans: Vec<(u32, u32)>,
    /// (the need's concept it serves, strength if the provider names it, strength if it
    /// is broader than what the provider names).
    entries: Vec<(u8, f64, f64)>,
    /// Each need concept's weight.
    weights: Vec<f64>,
    /// Their sum.
    total: f64,
}

impl NeedConcepts {
    /// Prepares a need's concepts ([`best_match`]'s rules, inverted).
    pub fn new(t: &Thesaurus, need: &ConceptBag) -> NeedConcepts {
        let mut map: std::collections::BTreeMap<ConceptId, Vec<(u8, f64, f64)>> =
            Default::default();
        let mut add = |key: ConceptId, i: u8, direct: f64, ancestor: f64| {
            let e = map.entry(key).or_default();
            match e.iter_mut().find(|x| x.0 == i) {
                Some(x) => {
                    x.1 = x.1.max(direct);
                    x.2 = x.2.max(ancestor);
                }
                None => e.push((i, direct, ancestor)),
            }
        };
        let mut weights = Vec::new();
        for (i, (c, _)) in need.direct.iter().take(MAX_NEED_CONCEPTS).enumerate() {
            let i = i as u8;
            add(*c, i, 1.0, 0.8);
            for &(a, level) in t.ancestors(*c) {
                match level {
                    1 => {
                        let shared = if t.concept(a).is_service() { 0.0 } else { 0.3 };
                        add(a, i, 0.6, shared);
                    }
                    2 => add(a, i, 0.45, 0.0),
                    _ => {}
                }
            }
            weights.push(concept_weight(t, *c));
        }
        let mut n = NeedConcepts {
            total: weights.iter().sum(),
            weights,
            ..NeedConcepts::default()
        };
        if !map.is_empty() {
            n.slot = vec![0; t.concepts().len()];
        }
        for (k, v) in map {
            let start = n.entries.len() as u32;
            n.entries.extend(v);
            n.spans.push((start, n.entries.len() as u32));
            n.slot[k as usize] = n.spans.len() as u16;
        }
        n
    }

    /// The overlap with one provider's concepts: one direct lookup per concept the
    /// provider names (or is narrower than), nothing allocated.
    pub fn overlap_with(&self, provider: &ConceptBag) -> f64 {
        if self.total <= 0.0 || self.slot.is_empty() {
            return 0.0;
        }
        let mut best = [0f64; MAX_NEED_CONCEPTS];
        let mut visit = |ids: &[ConceptId], pick: fn(&(u8, f64, f64)) -> f64| {
            for &c in ids {
                let k = self.slot.get(c as usize).copied().unwrap_or(0);
                if k == 0 {
                    continue;
                }
                let (s, e) = self.spans[k as usize - 1];
                for x in &self.entries[s as usize..e as usize] {
                    let slot = &mut best[x.0 as usize];
                    *slot = slot.max(pick(x));
                }
            }
        };
        visit(&provider.direct_ids, |x| x.1);
        visit(&provider.ancestor_ids, |x| x.2);
        let got: f64 = self.weights.iter().zip(best).map(|(w, b)| w * b).sum();
        got / self.total
    }
}

/// The need's concepts the provider offers, strongest first (for explanations).
pub fn overlap_matches(
    t: &Thesaurus,
    need: &ConceptBag,
    provider: &ConceptBag,
) -> Vec<ConceptMatch> {
    let mut matches: Vec<ConceptMatch> = need
        .direct
        .iter()
        .filter_map(|(c, surface)| {
            best_match(t, *c, provider).map(|(strength, concept)| ConceptMatch {
                concept,
                need_surface: surface.clone(),
                strength,
            })
        })
        .collect();
    matches.sort_by(|a, b| b.strength.total_cmp(&a.strength));
    matches
}

/// Field evidence from the concepts of a text: each field's share of the votes of the
/// technology concepts mentioned (a concept in two fields gives each half), with the
/// number of technology concepts that voted.
pub fn field_votes(t: &Thesaurus, bag: &ConceptBag) -> (Vec<(Field, f64)>, usize) {
    let mut votes: Vec<(Field, f64)> = Vec::new();
    let mut n = 0;
    for (c, _) in &bag.direct {
        let concept = t.concept(*c);
        let fields: Vec<Field> = concept
            .fields
            .iter()
            .copied()
            .filter(|f| *f != Field::Other || concept.fields.len() == 1)
            .collect();
        if fields.is_empty() || concept.is_service() {
            continue;
        }
        n += 1;
        let share = 1.0 / fields.len() as f64;
        for f in fields {
            match votes.iter_mut().find(|(g, _)| *g == f) {
                Some(v) => v.1 += share,
                None => votes.push((f, share)),
            }
        }
    }
    let sum: f64 = votes.iter().map(|(_, v)| v).sum();
    if sum > 0.0 {
        for v in &mut votes {
            v.1 /= sum;
        }
    }
    votes.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    (votes, n)
}

/// What a text says in concepts: what it offers (or asks) and what it rules out.
#[derive(Debug, Clone, Default)]
pub struct TextReading {
    /// The text cut into positive and excluded clauses.
    pub scopes: super::exclusions::Scopes,
    /// Concepts of the positive clauses.
    pub concepts: ConceptBag,
    /// Concepts of the excluded clauses.
    pub excluded: ConceptBag,
    /// What the excluded clauses name, item by item ([`super::exclusions::Scopes::items`]).
    pub excluded_items: Vec<String>,
}

impl TextReading {
    /// Reads a text with the embedded thesaurus.
    pub fn of(text: &str) -> TextReading {
        let t = Thesaurus::get();
        let scopes = super::exclusions::scopes(text);
        let concepts = t.bag(&scopes.positive);
        let excluded = t.bag(&scopes.excluded.join("。"));
        let excluded_items = scopes.items();
        TextReading {
            scopes,
            concepts,
            excluded,
            excluded_items,
        }
    }
}

/// How much of what a need asks for a provider rules out (0–1), and the clause that
/// does: the share of the need's concepts (among those the provider's text has at all)
/// that the provider names only in excluded clauses; 1 when an item the provider
/// declines is written in the need as such; 1 when the need rules out a technology the
/// provider offers. The largest counts.
pub fn exclusion(need: &TextReading, provider: &TextReading) -> (f64, Option<String>) {
    if provider.scopes.excluded.is_empty() && need.excluded.direct.is_empty() {
        return (0.0, None);
    }
    let t = Thesaurus::get();
    let mut best: (f64, Option<String>) = (0.0, None);
    let mut consider = |share: f64, clause: Option<String>| {
        if share > best.0 {
            best = (share, clause);
        }
    };
    // Concepts.
    if !need.concepts.direct.is_empty() && !provider.excluded.direct.is_empty() {
        let (mut hit, mut total) = (0.0, 0.0);
        let mut clause = None;
        for (c, _) in &need.concepts.direct {
            let w = concept_weight(t, *c);
            let declined = provider.excluded.has_direct(*c) && !provider.concepts.has_direct(*c);
            if declined {
                hit += w;
                if clause.is_none() {
                    let name = &t.concept(*c).name;
                    clause = t
                        .concept(*c)
                        .surfaces
                        .iter()
                        .find_map(|s| provider.scopes.clause_with(s))
                        .or_else(|| provider.scopes.clause_with(name))
                        .map(str::to_string);
                }
            }
            if declined || provider.concepts.has_direct(*c) || provider.concepts.has_ancestor(*c) {
                total += w;
            }
        }
        if total > 0.0 {
            consider(hit / total, clause);
        }
    }
    // Items the provider declines that the need names as written: "动力电池回收相关项目
    // 请勿提交" against a need about 动力电池回收, but not "不做装饰性镀膜" against a
    // need about tool coatings (镀膜 alone is not what was declined).
    if !provider.scopes.excluded.is_empty() {
        for item in &provider.excluded_items {
            if need.scopes.positive.contains(item.as_str()) {
                let clause = provider.scopes.clause_with(item).map(str::to_string);
                consider(1.0, clause);
                break;
            }
        }
    }
    // What the need rules out.
    for (c, _) in &need.excluded.direct {
        if !t.concept(*c).is_service() && provider.concepts.has_direct(*c) {
            let clause = need.scopes.excluded.first().cloned();
            consider(1.0, clause.map(|c| format!("需求写明：{c}")));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "# test\n\
印制电路板\tPCB;线路板;电路板\t电子元器件\tnext_gen_it\tpilot_scale\n\
HDI板\tHDI;高密度互连板\t印制电路板\tnext_gen_it\t\n\
柔性电路板\tFPC;软板\t印制电路板\tnext_gen_it\t\n\
表面贴装\tSMT;贴片\t电子组装\tnext_gen_it\tpilot_scale\n\
组合聚醚\t白料\t聚氨酯\tnew_materials\t\n\
中试\t工艺放大;放大试验\t\tother\tpilot_scale\n";

    fn small() -> Thesaurus {
        Thesaurus::parse(&[("small.tsv", SMALL)]).unwrap()
    }

    #[test]
    fn finds_forms_case_insensitively_and_ascii_only_at_word_boundaries() {
        let t = small();
        let names = |text: &str| -> Vec<String> {
            t.mentions(text)
                .iter()
                .map(|m| format!("{}={}", t.concept(m.concept).name, m.surface))
                .collect()
        };
        assert_eq!(names("hdi板激光钻孔"), vec!["HDI板=hdi板"]);
        assert_eq!(names("做pcb打样"), vec!["印制电路板=pcb"]);
        // PCBA is another word; "PCB" inside it is not a mention.
        assert!(names("PCBA代工").is_empty());
        assert_eq!(
            names("白料配方和SMT贴片"),
            vec!["组合聚醚=白料", "表面贴装=SMT", "表面贴装=贴片"]
        );
    }

    #[test]
    fn broader_concepts_join_narrow_and_general_words() {
        let t = small();
        let need = t.bag("HDI板打样");
        let provider = t.bag("多层线路板、软板打样");
        let (v, m) = (
            overlap(&t, &need, &provider),
            overlap_matches(&t, &need, &provider),
        );
        assert!((v - 0.6).abs() < 1e-9, "{v} {m:?}");
        assert_eq!(t.concept(m[0].concept).name, "印制电路板");
        assert_eq!(m[0].need_surface, "HDI板");
        // The same concept in other words counts fully; an unrelated one not at all.
        assert_eq!(overlap(&t, &t.bag("白料"), &t.bag("组合聚醚")), 1.0);
        assert_eq!(overlap(&t, &t.bag("白料"), &t.bag("HDI板")), 0.0);
        assert_eq!(overlap(&t, &t.bag("天气"), &t.bag("HDI板")), 0.0);
        // Siblings share their broader concept weakly.
        let s = overlap(&t, &t.bag("HDI板"), &t.bag("FPC"));
        assert!((s - 0.3).abs() < 1e-9, "{s}");
    }

    /// The prepared overlap ([`NeedConcepts`]) gives what the concept-by-concept rules give.
    #[test]
    fn the_prepared_overlap_equals_the_rules() {
        let t = Thesaurus::parse(SOURCES).unwrap();
        let texts = [
            "HDI板激光钻孔，贴片打样",
            "多层线路板、软板打样，SMT贴片加工",
            "锂电池正极材料中试放大，磷酸铁锂",
            "动力电池回收与梯次利用",
            "组合聚醚白料配方，聚氨酯发泡",
            "中药提取，GMP中试车间",
        ];
        for a in texts {
            for b in texts {
                let (na, pb) = (t.bag(a), t.bag(b));
                let rules = overlap(&t, &na, &pb);
                let fast = NeedConcepts::new(&t, &na).overlap_with(&pb);
                assert!((rules - fast).abs() < 1e-6, "{a} / {b}: {rules} vs {fast}");
            }
        }
    }

    #[test]
    fn fields_are_voted_by_technology_concepts_only() {
        let t = small();
        let (votes, n) = field_votes(&t, &t.bag("白料中试放大"));
        assert_eq!(n, 1);
        assert_eq!(votes, vec![(Field::NewMaterials, 1.0)]);
    }

    #[test]
    fn bad_lines_are_named() {
        let e = Thesaurus::parse(&[("x.tsv", "a\tb\n")]).unwrap_err();
        assert_eq!(e.line, 1);
        let e = Thesaurus::parse(&[("x.tsv", "# c\nPCB\t\t\tnot_a_field\t\n")]).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("x.tsv", 2));
    }

    /// The embedded files parse, are large enough to matter, and keep to the format's
    /// rules (no one-character Chinese form, which would match inside unrelated words).
    #[test]
    fn the_embedded_thesaurus_parses() {
        let t = Thesaurus::parse(SOURCES).unwrap();
        assert!(t.concepts().len() > 5, "{t:?}");
        for c in t.concepts() {
            for s in &c.surfaces {
                assert!(
                    s.is_ascii() || s.chars().count() >= 2,
                    "one-character form {s} of {}",
                    c.name
                );
            }
        }
    }
}
