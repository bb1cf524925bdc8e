//! A fixed list of phrases found in a text in one pass (an Aho–Corasick automaton), with
//! the answers `str::contains` and `str::find` would give phrase by phrase: reading a
//! request's cue words and place names is on the path of every match, and a hundred
//! separate substring searches over the text cost more than the rest of reading it.

use aho_corasick::{AhoCorasick, MatchKind};

/// Phrases, in the caller's order (repeats allowed).
pub struct PhraseSet {
    automaton: AhoCorasick,
    /// Phrase index → pattern id (repeated phrases share one pattern).
    pattern_of: Vec<usize>,
    patterns: usize,
}

impl PhraseSet {
    /// The automaton of `phrases` (none may be empty).
    pub fn new(phrases: &[&str]) -> PhraseSet {
        let mut unique: Vec<&str> = Vec::new();
        let pattern_of = phrases
            .iter()
            .map(|p| match unique.iter().position(|u| u == p) {
                Some(i) => i,
                None => {
                    unique.push(p);
                    unique.len() - 1
                }
            })
            .collect();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&unique)
            .expect("a small fixed phrase list builds");
        PhraseSet {
            automaton,
            pattern_of,
            patterns: unique.len(),
        }
    }

    /// Whether each phrase occurs in `text` (`text.contains(phrase)`, phrase by phrase).
    pub fn present(&self, text: &str) -> Vec<bool> {
        let mut found = vec![false; self.patterns];
        for m in self.automaton.find_overlapping_iter(text) {
            found[m.pattern().as_usize()] = true;
        }
        self.pattern_of.iter().map(|&p| found[p]).collect()
    }

    /// Where each phrase occurs in `text` as `str::find` walks it, phrase by phrase: the
    /// first occurrence, then the first starting at or after its end, and so on (byte
    /// ranges, left to right).
    pub fn occurrences(&self, text: &str) -> Vec<Vec<(usize, usize)>> {
        let mut all: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.patterns];
        for m in self.automaton.find_overlapping_iter(text) {
            all[m.pattern().as_usize()].push((m.start(), m.end()));
        }
        for spans in &mut all {
            spans.sort_unstable();
            let mut from = 0;
            spans.retain(|&(start, end)| {
                let keep = start >= from;
                if keep {
                    from = end;
                }
                keep
            });
        }
        self.pattern_of.iter().map(|&p| all[p].clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answers equal the phrase-by-phrase substring searches they replace, on texts
    /// with repeats, overlaps and phrases inside phrases.
    #[test]
    fn agrees_with_contains_and_find() {
        let phrases = [
            "中试",
            "中试熟化",
            "熟化",
            "aa",
            "中试",
            "区",
            "璧山区",
            "璧山",
        ];
        let set = PhraseSet::new(&phrases);
        for text in [
            "",
            "中试熟化平台在璧山区，中试",
            "aaaa 璧山璧山区区",
            "没有一个",
            "aaa中试熟化熟化",
        ] {
            let present = set.present(text);
            let occurrences = set.occurrences(text);
            for (i, p) in phrases.iter().enumerate() {
                assert_eq!(present[i], text.contains(p), "{p} in {text}");
                let mut expected = Vec::new();
                let mut from = 0;
                while let Some(pos) = text[from..].find(p) {
                    expected.push((from + pos, from + pos + p.len()));
                    from += pos + p.len();
                }
                assert_eq!(occurrences[i], expected, "{p} in {text}");
            }
        }
    }
}
