//! Chinese text analysis shared by indexing, querying and ranking: jieba segmentation
//! with the shipped domain dictionary (`index/dict.txt`), normalisation (full-width to
//! half-width, lower case), a stop-word list (`index/stopwords.txt`) and query-time
//! synonyms (`index/synonyms.txt`). The dictionary is loaded once per process (≈100 ms)
//! and shared through an `Arc`, never copied per tokenizer.

use jieba_rs::Jieba;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

const DOMAIN_DICT: &str = include_str!("../../index/dict.txt");
const SYNONYMS: &str = include_str!("../../index/synonyms.txt");
const STOPWORDS: &str = include_str!("../../index/stopwords.txt");
/// The embedded sources the analysis reads; the index's schema version hashes them.
pub(crate) const EMBEDDED_SOURCES: [&str; 3] = [DOMAIN_DICT, SYNONYMS, STOPWORDS];

/// The name under which the Chinese tokenizer is registered with tantivy.
pub const TOKENIZER_NAME: &str = "zh";

/// Segmenter and vocabulary tables; build once, share by `Arc`.
pub struct Analyzer {
    jieba: Jieba,
    stopwords: HashSet<String>,
    synonyms: HashMap<String, Vec<String>>,
    /// [`Analyzer::phrase_terms`]' answers: short fixed phrases (thesaurus forms) are
    /// analysed once per process.
    phrases: std::sync::RwLock<HashMap<String, std::sync::Arc<Vec<String>>>>,
}

/// Phrases kept by [`Analyzer::phrase_terms`] before its memory is cleared.
const PHRASE_CACHE_LIMIT: usize = 100_000;

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("stopwords", &self.stopwords.len())
            .field("synonym_terms", &self.synonyms.len())
            .finish()
    }
}

/// One analysed token: normalised text and its byte span in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Normalised text.
    pub text: String,
    /// Byte offset of the first character.
    pub from: usize,
    /// Byte offset after the last character.
    pub to: usize,
}

fn normalise(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            // Full-width ASCII forms (ＣＭＡ, ５Ｇ) to ASCII.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_content(word: &str) -> bool {
    word.chars().any(|c| c.is_alphanumeric())
}

impl Analyzer {
    /// Loads jieba's dictionary, the domain dictionary, stop words and synonyms.
    pub fn new() -> Analyzer {
        let mut jieba = Jieba::new();
        for line in DOMAIN_DICT.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let Some(word) = parts.next() else { continue };
            let freq = parts.next().and_then(|f| f.parse::<usize>().ok());
            let tag = parts.next();
            jieba.add_word(word, freq.or(Some(20_000)), tag);
        }
        let stopwords = STOPWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(normalise)
            .collect();
        let mut synonyms: HashMap<String, Vec<String>> = HashMap::new();
        for line in SYNONYMS.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let group: Vec<String> = line
                .split([',', '，'])
                .map(|t| normalise(t.trim()))
                .filter(|t| !t.is_empty())
                .collect();
            for t in &group {
                let entry = synonyms.entry(t.clone()).or_default();
                for other in &group {
                    if other != t && !entry.contains(other) {
                        entry.push(other.clone());
                    }
                }
            }
        }
        Analyzer {
            jieba,
            stopwords,
            synonyms,
            phrases: Default::default(),
        }
    }

    /// Segments `text` for search: jieba's search mode (long words and the words inside
    /// them, so 中试熟化 also yields 中试 and 熟化), normalised, without punctuation and
    /// stop words, in order (a word may repeat).
    pub fn terms(&self, text: &str) -> Vec<Term> {
        // Normalise first (so ＣＭＡ segments like CMA), remembering where each
        // normalised byte came from so offsets still point into `text`.
        let mut norm = String::with_capacity(text.len());
        let mut origin: Vec<usize> = Vec::with_capacity(text.len() + 1);
        for (at, c) in text.char_indices() {
            let n = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            };
            for l in n.to_lowercase() {
                norm.push(l);
                origin.resize(norm.len(), at);
            }
        }
        origin.push(text.len());
        let mut out = Vec::new();
        for tok in self.jieba.cut_for_search(&norm, true) {
            if !is_content(tok.word) {
                continue;
            }
            let word = tok.word.trim();
            let (from, to) = (origin[tok.byte_start], origin[tok.byte_end]);
            if !self.stopwords.contains(word) {
                out.push(Term {
                    text: word.to_string(),
                    from,
                    to,
                });
            }
            // Mixed words (cnas认可, 5g专网) also yield their Latin/digit part.
            if word.is_ascii() {
                continue;
            }
            let mut run_start: Option<usize> = None;
            for (i, c) in word
                .char_indices()
                .chain(std::iter::once((word.len(), ' ')))
            {
                let latin = c.is_ascii_alphanumeric();
                match (latin, run_start) {
                    (true, None) => run_start = Some(i),
                    (false, Some(s)) => {
                        if i - s >= 2 {
                            let b = tok.byte_start + word.as_ptr() as usize
                                - tok.word.as_ptr() as usize;
                            out.push(Term {
                                text: word[s..i].to_string(),
                                from: origin[b + s],
                                to: origin[b + i],
                            });
                        }
                        run_start = None;
                    }
                    _ => {}
                }
            }
        }
        out
    }

    /// The distinct terms of `text`, in first-seen order.
    pub fn distinct_terms(&self, text: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        self.terms(text)
            .into_iter()
            .filter_map(|t| seen.insert(t.text.clone()).then_some(t.text))
            .collect()
    }

    /// [`Analyzer::distinct_terms`] of a short fixed phrase (a thesaurus form), remembered:
    /// query expansion asks for the same few thousand phrases again and again.
    pub fn phrase_terms(&self, phrase: &str) -> std::sync::Arc<Vec<String>> {
        if let Ok(cache) = self.phrases.read()
            && let Some(t) = cache.get(phrase)
        {
            return t.clone();
        }
        let terms = std::sync::Arc::new(self.distinct_terms(phrase));
        if let Ok(mut cache) = self.phrases.write() {
            if cache.len() >= PHRASE_CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(phrase.to_string(), terms.clone());
        }
        terms
    }

    /// The synonyms of a normalised term (not including itself).
    pub fn synonyms_of(&self, term: &str) -> &[String] {
        self.synonyms.get(term).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Number of synonym groups' member terms (for stats and tests).
    pub fn synonym_terms(&self) -> usize {
        self.synonyms.len()
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

/// The tantivy tokenizer: a thin wrapper around a shared [`Analyzer`].
#[derive(Clone)]
pub struct ZhTokenizer {
    analyzer: Arc<Analyzer>,
    in_text_order: bool,
}

impl ZhTokenizer {
    /// Wraps the shared analyzer (what the index uses: tokens in [`Analyzer::terms`] order).
    pub fn new(analyzer: Arc<Analyzer>) -> ZhTokenizer {
        ZhTokenizer {
            analyzer,
            in_text_order: false,
        }
    }

    /// The same tokens ordered by where they start in the text, for snippets. tantivy's
    /// fragment search assumes a token never ends before the previous fragment began;
    /// search mode breaks that for words of five or more characters (碳纤维复合材料 yields
    /// its 2-grams, then its 3-grams, then itself), which panicked (debug) or picked a
    /// wrong fragment (release). Positions do not matter for snippets; the index keeps
    /// [`ZhTokenizer::new`]'s order.
    pub fn in_text_order(analyzer: Arc<Analyzer>) -> ZhTokenizer {
        ZhTokenizer {
            analyzer,
            in_text_order: true,
        }
    }
}

/// Tokens of one text, produced eagerly.
pub struct ZhTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for ZhTokenizer {
    type TokenStream<'a> = ZhTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ZhTokenStream {
        let mut terms = self.analyzer.terms(text);
        if self.in_text_order {
            terms.sort_by_key(|t| (t.from, t.to));
        }
        let tokens = terms
            .into_iter()
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.from,
                offset_to: t.to,
                position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        ZhTokenStream { tokens, index: 0 }
    }
}

impl TokenStream for ZhTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_words_stay_whole_and_their_parts_are_searchable() {
        let a = Analyzer::new();
        let terms = a.distinct_terms("碳纤维预浸料的中试熟化与工艺放大");
        for w in ["碳纤维", "中试熟化", "中试", "工艺放大"] {
            assert!(terms.contains(&w.to_string()), "{w} missing from {terms:?}");
        }
        assert!(
            !terms.iter().any(|t| t == "的"),
            "stop word kept: {terms:?}"
        );
    }

    #[test]
    fn full_width_and_case_are_normalised() {
        let a = Analyzer::new();
        let terms = a.distinct_terms("具备ＣＭＡ资质和CNAS认可");
        assert!(terms.contains(&"cma".to_string()), "{terms:?}");
        assert!(terms.contains(&"cnas".to_string()), "{terms:?}");
    }

    #[test]
    fn synonyms_are_symmetric() {
        let a = Analyzer::new();
        assert!(a.synonyms_of("动力电池").iter().any(|s| s == "锂离子电池"));
        assert!(a.synonyms_of("锂离子电池").iter().any(|s| s == "动力电池"));
    }
}
