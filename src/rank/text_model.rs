//! Learned text similarity: TF-IDF weighting plus latent semantic (LSA) vectors.
//!
//! This module owns the *text model* used for two ranking features between a need and a
//! provider: the cosine of their TF-IDF vectors (shared vocabulary) and the cosine of their
//! low-rank LSA vectors (shared *meaning*: terms that co-occur across the corpus end up close,
//! so "锂电池" and "动力电池" match even when no single text contains both).
//!
//! * [`TextModel::fit`] builds the vocabulary (document-frequency filters), the IDF weights and
//!   a rank-`k` projection from a randomized truncated SVD (Halko, Martinsson & Tropp 2011) of
//!   the L2-normalised document × term TF-IDF matrix. Fitting is deterministic for a given
//!   [`TextModelParams::seed`] (own SplitMix64 generator; no thread-dependent arithmetic).
//! * [`TextModel::tfidf`] and [`TextModel::embed`] are the serving-time path: a hash lookup per
//!   term and a `terms × dims` multiply-add, nothing else.
//! * The model serialises to compact JSON (f32 arrays as base64 of little-endian bytes) with a
//!   `format` version; deserialising (plain serde or [`TextModel::from_json`]) validates the
//!   shapes and rebuilds the term index, so a loaded model is immediately usable.
//!
//! It receives already-analysed terms (`&[String]`, segmented and normalised elsewhere) and
//! must not know about segmentation, HTTP, SQL, tantivy or where the corpus comes from.

use crate::rng::SplitMix64;
use std::collections::HashMap;

use linfa_linalg::eigh::Eigh as _;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// Version of the serialised layout; checked on load.
pub const TEXT_MODEL_FORMAT: u32 = 1;

/// Singular values below this fraction of the largest are treated as zero (rank deficiency).
const SIGMA_REL_TOL: f64 = 1e-6;
/// Upper bound on `dims` accepted by [`TextModelParams::check`].
const MAX_DIMS: usize = 1024;
/// Upper bound on `oversample` accepted by [`TextModelParams::check`].
const MAX_OVERSAMPLE: usize = 1024;
/// Upper bound on `power_iterations` accepted by [`TextModelParams::check`].
const MAX_POWER_ITERATIONS: usize = 32;

/// Hyper-parameters of [`TextModel::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextModelParams {
    /// A term must occur in at least this many documents to enter the vocabulary. Default 2.
    pub min_df: usize,
    /// Terms occurring in more than `max_df_ratio × N` documents are dropped (too common to
    /// discriminate). In `(0, 1]`; `1.0` keeps everything. Default 0.5.
    pub max_df_ratio: f64,
    /// Keep at most this many terms, the ones with the highest document frequency (ties broken
    /// by the term's text). Default 20 000.
    pub max_vocab: usize,
    /// Number of LSA dimensions requested; the fitted model may have fewer when the corpus has
    /// lower rank (see [`TextModel::dims`]). Must stay well below the vocabulary size: the
    /// generalisation across synonyms comes from discarding the minor components, and with
    /// `dims` near the rank every term keeps its own direction again. Default 64.
    pub dims: usize,
    /// Extra random directions for the randomized SVD (accuracy of the top `dims`). Default 10.
    pub oversample: usize,
    /// Power (subspace) iterations of the randomized SVD. Default 2.
    pub power_iterations: usize,
    /// Seed of the random projection; the same corpus and seed give the same model. Default 7.
    pub seed: u64,
}

impl Default for TextModelParams {
    fn default() -> Self {
        Self {
            min_df: 2,
            max_df_ratio: 0.5,
            max_vocab: 20_000,
            dims: 64,
            oversample: 10,
            power_iterations: 2,
            seed: 7,
        }
    }
}

impl TextModelParams {
    /// Rejects unusable values: `dims` 0 or above 1024, `min_df` 0, `max_vocab` 0,
    /// `max_df_ratio` outside `(0, 1]`, `oversample` above 1024, `power_iterations` above 32.
    pub fn check(&self) -> Result<(), TextModelError> {
        let bad = |msg: String| Err(TextModelError::BadParams(msg));
        if self.dims == 0 || self.dims > MAX_DIMS {
            return bad(format!("dims must be in 1..={MAX_DIMS}, got {}", self.dims));
        }
        if self.min_df == 0 {
            return bad("min_df must be at least 1".to_owned());
        }
        if self.max_vocab == 0 {
            return bad("max_vocab must be at least 1".to_owned());
        }
        if !(self.max_df_ratio > 0.0 && self.max_df_ratio <= 1.0) {
            return bad(format!(
                "max_df_ratio must be in (0, 1], got {}",
                self.max_df_ratio
            ));
        }
        if self.oversample > MAX_OVERSAMPLE {
            return bad(format!(
                "oversample must be at most {MAX_OVERSAMPLE}, got {}",
                self.oversample
            ));
        }
        if self.power_iterations > MAX_POWER_ITERATIONS {
            return bad(format!(
                "power_iterations must be at most {MAX_POWER_ITERATIONS}, got {}",
                self.power_iterations
            ));
        }
        Ok(())
    }
}

/// A sparse L2-normalised TF-IDF vector: `(term index, weight)` pairs sorted by index, no
/// duplicates, no zero weights. Empty when no term of the text is in the vocabulary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec(pub Vec<(u32, f32)>);

impl SparseVec {
    /// Number of non-zero entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no term of the text was known to the model.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Euclidean norm (1 for vectors from [`TextModel::tfidf`], 0 when empty).
    pub fn norm(&self) -> f32 {
        self.0.iter().map(|&(_, w)| w * w).sum::<f32>().sqrt()
    }
}

/// Errors of fitting, checking and loading a [`TextModel`].
#[derive(Debug, thiserror::Error)]
pub enum TextModelError {
    /// `fit` was given no documents.
    #[error("cannot fit a text model on an empty corpus")]
    EmptyCorpus,
    /// A hyper-parameter is out of range.
    #[error("bad text model parameters: {0}")]
    BadParams(String),
    /// The serialised model was written by an incompatible version.
    #[error("unsupported text model format {found} (expected {expected})")]
    UnsupportedFormat { found: u32, expected: u32 },
    /// The model's parts disagree (shapes, encoding, non-finite numbers) or its JSON is invalid.
    #[error("corrupt text model: {0}")]
    Corrupt(String),
    /// The linear algebra failed (should not happen on finite input).
    #[error("numerical failure while fitting the text model: {0}")]
    Numerical(String),
}

/// The fitted model: vocabulary, IDF weights and the LSA projection.
///
/// Serialises to JSON as `{format, params, n_docs, dims, terms, idf, singular_values,
/// projection}` where `idf` (one per term) and `projection` are base64 strings of little-endian
/// f32. The projection `P` (dims × vocab) is stored **term-major**, i.e. transposed: entry
/// `(component c, term t)` is at `t × dims + c`, so a term's `dims` weights are contiguous.
/// Deserialising checks the format and the shapes and rebuilds the term index.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "TextModelRepr")]
pub struct TextModel {
    format: u32,
    params: TextModelParams,
    n_docs: usize,
    dims: usize,
    terms: Vec<String>,
    #[serde(serialize_with = "b64_f32::serialize")]
    idf: Vec<f32>,
    singular_values: Vec<f32>,
    #[serde(serialize_with = "b64_f32::serialize")]
    projection: Vec<f32>,
    /// term → index, rebuilt from `terms` on load.
    #[serde(skip)]
    index: HashMap<String, u32>,
}

/// The on-disk shape of [`TextModel`], converted (and validated) on deserialisation.
#[derive(Deserialize)]
struct TextModelRepr {
    format: u32,
    params: TextModelParams,
    n_docs: usize,
    dims: usize,
    terms: Vec<String>,
    #[serde(deserialize_with = "b64_f32::deserialize")]
    idf: Vec<f32>,
    singular_values: Vec<f32>,
    #[serde(deserialize_with = "b64_f32::deserialize")]
    projection: Vec<f32>,
}

impl TryFrom<TextModelRepr> for TextModel {
    type Error = TextModelError;

    fn try_from(r: TextModelRepr) -> Result<Self, Self::Error> {
        if r.format != TEXT_MODEL_FORMAT {
            return Err(TextModelError::UnsupportedFormat {
                found: r.format,
                expected: TEXT_MODEL_FORMAT,
            });
        }
        let model = TextModel {
            format: r.format,
            params: r.params,
            n_docs: r.n_docs,
            dims: r.dims,
            index: build_index(&r.terms),
            terms: r.terms,
            idf: r.idf,
            singular_values: r.singular_values,
            projection: r.projection,
        };
        model.validate()?;
        Ok(model)
    }
}

fn build_index(terms: &[String]) -> HashMap<String, u32> {
    terms
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect()
}

impl TextModel {
    /// Fits the model on a corpus of analysed documents (needs and providers alike).
    ///
    /// Vocabulary: terms with `min_df ≤ df ≤ max_df_ratio × N`, the `max_vocab` most frequent.
    /// `idf = ln((1 + N) / (1 + df)) + 1`; document rows are sublinear-tf TF-IDF, L2-normalised.
    /// The projection holds the top right singular vectors of that matrix (randomized SVD with
    /// `dims + oversample` directions and `power_iterations` subspace iterations); components
    /// whose singular value is ≈ 0 are dropped, so a tiny corpus yields fewer dims. If the
    /// filters leave no vocabulary (e.g. 3 documents with the default `max_df_ratio`) the model
    /// is valid but empty: every text gets an empty TF-IDF vector and a zero-length embedding.
    pub fn fit(
        docs: &[Vec<String>],
        params: &TextModelParams,
    ) -> Result<TextModel, TextModelError> {
        params.check()?;
        if docs.is_empty() {
            return Err(TextModelError::EmptyCorpus);
        }
        let n_docs = docs.len();
        let (terms, dfs) = select_vocabulary(docs, params);
        let idf: Vec<f32> = dfs
            .iter()
            .map(|&df| (((1 + n_docs) as f64 / (1 + df) as f64).ln() + 1.0) as f32)
            .collect();

        let matrix = {
            let lookup: HashMap<&str, u32> = terms
                .iter()
                .enumerate()
                .map(|(i, t)| (t.as_str(), i as u32))
                .collect();
            let mut ids = Vec::new();
            let mut row = Vec::new();
            let mut m = Csr::with_capacity(n_docs, terms.len(), 0);
            for doc in docs {
                ids.clear();
                ids.extend(doc.iter().filter_map(|t| lookup.get(t.as_str()).copied()));
                weigh(&mut ids, &idf, &mut row);
                m.push_row(&row);
            }
            m
        };

        let (singular_values, projection, dims) = if matrix.nnz() == 0 {
            (Vec::new(), Vec::new(), 0)
        } else {
            lsa_projection(&matrix, params)?
        };

        let model = TextModel {
            format: TEXT_MODEL_FORMAT,
            params: params.clone(),
            n_docs,
            dims,
            index: build_index(&terms),
            terms,
            idf,
            singular_values,
            projection,
        };
        model.validate()?;
        Ok(model)
    }

    /// Parses a model serialised by [`TextModel::to_json`] (or serde), checking the format
    /// version and shapes; the result is ready to use.
    pub fn from_json(s: &str) -> Result<TextModel, TextModelError> {
        serde_json::from_str(s).map_err(|e| TextModelError::Corrupt(e.to_string()))
    }

    /// Serialises the model to compact JSON (see the type's documentation for the layout).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a TextModel always serialises: plain data, string keys")
    }

    /// Number of terms in the vocabulary.
    pub fn vocab_len(&self) -> usize {
        self.terms.len()
    }

    /// Number of LSA dimensions: at most `params.dims`, fewer when the corpus has lower rank,
    /// 0 for an empty vocabulary. Length of every [`TextModel::embed`] output.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Number of documents the model was fitted on.
    pub fn n_docs(&self) -> usize {
        self.n_docs
    }

    /// The hyper-parameters used to fit the model.
    pub fn params(&self) -> &TextModelParams {
        &self.params
    }

    /// The vocabulary in index order (most frequent first).
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Index of a vocabulary term, `None` when unknown.
    pub fn term_index(&self, term: &str) -> Option<u32> {
        self.index.get(term).copied()
    }

    /// IDF weight of a vocabulary term, `None` when unknown.
    pub fn idf(&self, term: &str) -> Option<f32> {
        self.term_index(term).map(|i| self.idf[i as usize])
    }

    /// Singular values of the kept LSA components, descending (diagnostics only).
    pub fn singular_values(&self) -> &[f32] {
        &self.singular_values
    }

    /// Sublinear TF-IDF vector of a text: `(1 + ln tf) × idf` per known term, L2-normalised.
    /// Unknown terms are ignored; empty when no term is known.
    pub fn tfidf(&self, terms: &[String]) -> SparseVec {
        let mut ids: Vec<u32> = terms
            .iter()
            .filter_map(|t| self.index.get(t.as_str()).copied())
            .collect();
        let mut out = Vec::with_capacity(ids.len());
        weigh(&mut ids, &self.idf, &mut out);
        SparseVec(out)
    }

    /// LSA vector `P · v`, L2-normalised; length [`TextModel::dims`]. All zeros when `v` is
    /// empty (or projects to zero). Indices outside the vocabulary are ignored.
    pub fn embed(&self, v: &SparseVec) -> Vec<f32> {
        let k = self.dims;
        let mut out = vec![0.0f32; k];
        if k == 0 {
            return out;
        }
        for &(t, w) in &v.0 {
            let start = t as usize * k;
            let Some(row) = self.projection.get(start..start + k) else {
                continue;
            };
            for (o, &p) in out.iter_mut().zip(row) {
                *o += w * p;
            }
        }
        let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 && norm.is_finite() {
            out.iter_mut().for_each(|x| *x /= norm);
        } else {
            out.iter_mut().for_each(|x| *x = 0.0);
        }
        out
    }

    /// Convenience: `embed(&tfidf(terms))`.
    pub fn embed_terms(&self, terms: &[String]) -> Vec<f32> {
        self.embed(&self.tfidf(terms))
    }

    /// Checks that the parts agree: format version, parameters, one IDF per term, unique
    /// terms, `singular_values` of length `dims`, a `vocab × dims` projection, finite numbers.
    /// Run on every deserialisation; call it again after mutating a model by other means.
    pub fn validate(&self) -> Result<(), TextModelError> {
        let corrupt = |msg: String| Err(TextModelError::Corrupt(msg));
        if self.format != TEXT_MODEL_FORMAT {
            return Err(TextModelError::UnsupportedFormat {
                found: self.format,
                expected: TEXT_MODEL_FORMAT,
            });
        }
        self.params.check()?;
        let v = self.terms.len();
        if u32::try_from(v).is_err() {
            return corrupt(format!("vocabulary of {v} terms exceeds u32 indices"));
        }
        if self.idf.len() != v {
            return corrupt(format!("{} idf weights for {v} terms", self.idf.len()));
        }
        if self.index.len() != v {
            return corrupt(format!(
                "term index has {} entries for {v} terms (duplicate terms?)",
                self.index.len()
            ));
        }
        if self.dims > self.params.dims {
            return corrupt(format!(
                "dims {} exceeds requested dims {}",
                self.dims, self.params.dims
            ));
        }
        if self.singular_values.len() != self.dims {
            return corrupt(format!(
                "{} singular values for {} dims",
                self.singular_values.len(),
                self.dims
            ));
        }
        let expected = v.checked_mul(self.dims);
        if expected != Some(self.projection.len()) {
            return corrupt(format!(
                "projection has {} weights, expected {v} terms × {} dims",
                self.projection.len(),
                self.dims
            ));
        }
        if self.idf.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
            return corrupt("idf weights must be finite and positive".to_owned());
        }
        if self.singular_values.iter().any(|x| !x.is_finite()) {
            return corrupt("non-finite singular value".to_owned());
        }
        if self.projection.iter().any(|x| !x.is_finite()) {
            return corrupt("non-finite projection weight".to_owned());
        }
        Ok(())
    }
}

/// Dot product of two sparse vectors by a merge walk over their sorted indices. For vectors
/// from [`TextModel::tfidf`] (L2-normalised, non-negative) this is their cosine, in `[0, 1]`;
/// 0 when either is empty.
pub fn cosine_sparse(a: &SparseVec, b: &SparseVec) -> f32 {
    let (a, b) = (&a.0, &b.0);
    let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    dot
}

/// Cosine of two dense vectors (normalised or not), clamped to `[-1, 1]`. 0 when either is a
/// zero vector or their lengths differ.
pub fn cosine_dense(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (&x, &y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na <= 0.0 || nb <= 0.0 {
        return 0.0;
    }
    (dot / (na.sqrt() * nb.sqrt())).clamp(-1.0, 1.0)
}

// ---------------------------------------------------------------------------------------------
// Fitting internals
// ---------------------------------------------------------------------------------------------

/// Vocabulary in index order (df descending, then term) and the document frequency of each.
fn select_vocabulary(docs: &[Vec<String>], params: &TextModelParams) -> (Vec<String>, Vec<u32>) {
    // term → (df, 1 + index of the last document that counted it)
    let mut df: HashMap<&str, (u32, u32)> = HashMap::new();
    for (d, doc) in docs.iter().enumerate() {
        let stamp = d as u32 + 1;
        for term in doc {
            if term.is_empty() {
                continue;
            }
            let e = df.entry(term.as_str()).or_insert((0, 0));
            if e.1 != stamp {
                e.0 += 1;
                e.1 = stamp;
            }
        }
    }
    let max_df = params.max_df_ratio * docs.len() as f64;
    let mut kept: Vec<(&str, u32)> = df
        .into_iter()
        .filter(|&(_, (n, _))| n as usize >= params.min_df && n as f64 <= max_df)
        .map(|(t, (n, _))| (t, n))
        .collect();
    kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    kept.truncate(params.max_vocab);
    kept.into_iter().map(|(t, n)| (t.to_owned(), n)).unzip()
}

/// Turns term indices (any order, repeats = term frequency) into the sorted, L2-normalised
/// sublinear TF-IDF entries, written to `out`. `ids` is sorted in place.
fn weigh(ids: &mut [u32], idf: &[f32], out: &mut Vec<(u32, f32)>) {
    out.clear();
    ids.sort_unstable();
    let mut i = 0;
    while i < ids.len() {
        let t = ids[i];
        let mut j = i + 1;
        while j < ids.len() && ids[j] == t {
            j += 1;
        }
        let tf = (j - i) as f32;
        out.push((t, (1.0 + tf.ln()) * idf[t as usize]));
        i = j;
    }
    let norm = out.iter().map(|&(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        out.iter_mut().for_each(|e| e.1 /= norm);
    }
}

/// Compressed sparse rows with f32 values.
struct Csr {
    ncols: usize,
    row_ptr: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f32>,
}

impl Csr {
    fn with_capacity(nrows: usize, ncols: usize, nnz: usize) -> Self {
        let mut row_ptr = Vec::with_capacity(nrows + 1);
        row_ptr.push(0);
        Self {
            ncols,
            row_ptr,
            cols: Vec::with_capacity(nnz),
            vals: Vec::with_capacity(nnz),
        }
    }

    fn push_row(&mut self, row: &[(u32, f32)]) {
        for &(c, v) in row {
            self.cols.push(c);
            self.vals.push(v);
        }
        self.row_ptr.push(self.cols.len());
    }

    fn nrows(&self) -> usize {
        self.row_ptr.len() - 1
    }

    fn nnz(&self) -> usize {
        self.cols.len()
    }

    /// `selfᵀ · x` where `x` is row-major `nrows × width`; returns row-major `ncols × width`.
    /// Scatters each row of `x` once, reading `x` sequentially; the sum for every output row
    /// runs in document order, so the result does not depend on anything but the input.
    fn tmul_dense(&self, x: &[f64], width: usize) -> Vec<f64> {
        debug_assert_eq!(x.len(), self.nrows() * width);
        let mut out = vec![0.0f64; self.ncols * width];
        if width == 0 {
            return out;
        }
        for (r, xrow) in x.chunks_exact(width).enumerate() {
            for k in self.row_ptr[r]..self.row_ptr[r + 1] {
                let a = f64::from(self.vals[k]);
                let c = self.cols[k] as usize;
                let orow = &mut out[c * width..(c + 1) * width];
                for (o, &xv) in orow.iter_mut().zip(xrow) {
                    *o += a * xv;
                }
            }
        }
        out
    }

    /// `self · x` where `x` is row-major `ncols × width`; returns row-major `nrows × width`.
    fn mul_dense(&self, x: &[f64], width: usize) -> Vec<f64> {
        debug_assert_eq!(x.len(), self.ncols * width);
        let mut out = vec![0.0f64; self.nrows() * width];
        if width == 0 {
            return out;
        }
        for (r, orow) in out.chunks_exact_mut(width).enumerate() {
            for k in self.row_ptr[r]..self.row_ptr[r + 1] {
                let a = f64::from(self.vals[k]);
                let c = self.cols[k] as usize;
                let xrow = &x[c * width..(c + 1) * width];
                for (o, &xv) in orow.iter_mut().zip(xrow) {
                    *o += a * xv;
                }
            }
        }
        out
    }
}

/// Dot product with four independent accumulators (lets the compiler vectorise).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    acc[0] + acc[1] + acc[2] + acc[3] + tail
}

/// Replaces the columns of the row-major `rows × width` matrix `m` by an orthonormal basis of
/// their span (modified Gram–Schmidt with selective re-orthogonalisation); columns that are numerically dependent
/// on earlier ones become zero, so rank deficiency is harmless downstream.
fn orthonormalize(m: &mut [f64], rows: usize, width: usize) {
    // Column-major copy so every column operation is contiguous.
    let mut c = vec![0.0f64; rows * width];
    for (r, row) in m.chunks_exact(width).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            c[j * rows + r] = v;
        }
    }
    for j in 0..width {
        let (done, rest) = c.split_at_mut(j * rows);
        let col = &mut rest[..rows];
        let original = dot(col, col).sqrt();
        let mut norm = original;
        // "Twice is enough" (Kahan–Parlett / DGKS): a second sweep only when the first one
        // cancelled most of the column, i.e. when rounding may have left it non-orthogonal.
        for _sweep in 0..2 {
            let before = norm;
            for q in done.chunks_exact(rows) {
                let r = dot(q, col);
                if r != 0.0 {
                    for (x, &qv) in col.iter_mut().zip(q) {
                        *x -= r * qv;
                    }
                }
            }
            norm = dot(col, col).sqrt();
            if norm >= std::f64::consts::FRAC_1_SQRT_2 * before {
                break;
            }
        }
        if original > 0.0 && norm > 1e-9 * original && norm.is_finite() {
            col.iter_mut().for_each(|x| *x /= norm);
        } else {
            col.iter_mut().for_each(|x| *x = 0.0);
        }
    }
    for (r, row) in m.chunks_exact_mut(width).enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = c[j * rows + r];
        }
    }
}

/// Randomized truncated SVD of `a` (N × V): returns the kept singular values (descending),
/// the term-major projection (V × k) and k.
fn lsa_projection(
    a: &Csr,
    params: &TextModelParams,
) -> Result<(Vec<f32>, Vec<f32>, usize), TextModelError> {
    let (n, v) = (a.nrows(), a.ncols);
    let width = (params.dims + params.oversample).min(n).min(v);

    // Range finder: Q ≈ orthonormal basis of range(A Ω), refined by subspace iterations.
    let mut omega = vec![0.0f64; v * width];
    SplitMix64(params.seed).fill_gaussian(&mut omega);
    let mut q = a.mul_dense(&omega, width);
    drop(omega);
    orthonormalize(&mut q, n, width);
    for _ in 0..params.power_iterations {
        let mut z = a.tmul_dense(&q, width);
        orthonormalize(&mut z, v, width);
        q = a.mul_dense(&z, width);
        orthonormalize(&mut q, n, width);
    }

    // Bᵀ = Aᵀ Q (V × width); B Bᵀ = (Bᵀ)ᵀ Bᵀ is small and symmetric.
    let bt = a.tmul_dense(&q, width);
    drop(q);
    let mut upper = vec![0.0f64; width * width];
    for row in bt.chunks_exact(width) {
        for (i, &ri) in row.iter().enumerate() {
            if ri != 0.0 {
                let g = &mut upper[i * width + i..(i + 1) * width];
                for (gv, &rj) in g.iter_mut().zip(&row[i..]) {
                    *gv += ri * rj;
                }
            }
        }
    }
    let gram = Array2::from_shape_fn((width, width), |(i, j)| upper[i.min(j) * width + i.max(j)]);
    if gram.iter().any(|x| !x.is_finite()) {
        return Err(TextModelError::Numerical(
            "non-finite Gram matrix".to_owned(),
        ));
    }
    let (eigvals, eigvecs) = gram
        .eigh()
        .map_err(|e| TextModelError::Numerical(e.to_string()))?;
    if eigvals.iter().chain(eigvecs.iter()).any(|x| !x.is_finite()) {
        return Err(TextModelError::Numerical(
            "non-finite eigen-decomposition".to_owned(),
        ));
    }
    let mut order: Vec<usize> = (0..width).collect();
    order.sort_by(|&x, &y| eigvals[y].total_cmp(&eigvals[x]).then(x.cmp(&y)));
    let sigma: Vec<f64> = order.iter().map(|&i| eigvals[i].max(0.0).sqrt()).collect();
    let top = sigma.first().copied().unwrap_or(0.0);
    let kept: Vec<usize> = (0..width.min(params.dims))
        .filter(|&r| top > 0.0 && sigma[r] > SIGMA_REL_TOL * top)
        .collect();
    let k = kept.len();

    // Vₖ = Bᵀ Uₖ / σₖ, stored term-major as f64 while fixing signs.
    // u_scaled[m, c] = U[m, kept c] / σ; then each term's row is Σₘ Bᵀ[t, m] · u_scaled[m, :].
    let mut u_scaled = vec![0.0f64; width * k];
    for (c, &r) in kept.iter().enumerate() {
        for m in 0..width {
            u_scaled[m * k + c] = eigvecs[[m, order[r]]] / sigma[r];
        }
    }
    let mut vk = vec![0.0f64; v * k];
    if k > 0 {
        for (brow, vrow) in bt.chunks_exact(width).zip(vk.chunks_exact_mut(k)) {
            for (&b, urow) in brow.iter().zip(u_scaled.chunks_exact(k)) {
                if b != 0.0 {
                    for (o, &u) in vrow.iter_mut().zip(urow) {
                        *o += b * u;
                    }
                }
            }
        }
    }
    for c in 0..k {
        // Unit norm (guards the σ division) and a deterministic sign: largest |weight| > 0.
        let (mut norm_sq, mut big) = (0.0f64, 0.0f64);
        for t in 0..v {
            let x = vk[t * k + c];
            norm_sq += x * x;
            if x.abs() > big.abs() {
                big = x;
            }
        }
        let scale = if norm_sq > 0.0 {
            big.signum() / norm_sq.sqrt()
        } else {
            0.0
        };
        for t in 0..v {
            vk[t * k + c] *= scale;
        }
    }
    let projection = vk.into_iter().map(|x| x as f32).collect();
    let singular_values = kept.iter().map(|&r| sigma[r] as f32).collect();
    Ok((singular_values, projection, k))
}

/// Serde helpers: `Vec<f32>` as base64 of little-endian bytes.
mod b64_f32 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = BASE64
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)?;
        if bytes.len() % 4 != 0 {
            return Err(serde::de::Error::custom(format!(
                "f32 array of {} bytes is not a multiple of 4",
                bytes.len()
            )));
        }
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn doc(terms: &[&str]) -> Vec<String> {
        terms.iter().map(|t| (*t).to_owned()).collect()
    }

    /// Six topics; battery documents contain *either* 锂电池 *or* 动力电池, never both, always
    /// with 正极/电芯/储能. Each document also carries two "noise" terms from a shared pool.
    fn topic_corpus() -> Vec<Vec<String>> {
        let topics: [&[&str]; 6] = [
            &["正极", "电芯", "储能", "负极", "隔膜", "电解液", "充放电"],
            &["抗体", "细胞", "靶点", "临床", "蛋白", "发酵", "检测"],
            &[
                "碳纤维",
                "复合材料",
                "预浸料",
                "模具",
                "固化",
                "拉伸",
                "航空",
            ],
            &[
                "中试",
                "工艺放大",
                "反应釜",
                "催化剂",
                "收率",
                "精馏",
                "结晶",
            ],
            &["算法", "软件", "平台", "数据", "接口", "部署", "云端"],
            &["机床", "数控", "刀具", "加工", "精度", "主轴", "夹具"],
        ];
        let mut rng = SplitMix64(42);
        let mut docs = Vec::new();
        for (ti, topic) in topics.iter().enumerate() {
            for d in 0..40 {
                let mut terms: Vec<String> = Vec::new();
                if ti == 0 {
                    terms.push(
                        if d % 2 == 0 {
                            "锂电池"
                        } else {
                            "动力电池"
                        }
                        .to_owned(),
                    );
                    terms.extend(["正极", "电芯", "储能"].map(str::to_owned));
                    for _ in 0..2 {
                        let extra = 3 + (rng.next_u64() % 4) as usize;
                        terms.push(topic[extra].to_owned());
                    }
                } else {
                    for _ in 0..5 {
                        terms.push(topic[(rng.next_u64() % 7) as usize].to_owned());
                    }
                }
                for _ in 0..2 {
                    terms.push(format!("噪声{}", rng.next_u64() % 60));
                }
                docs.push(terms);
            }
        }
        docs
    }

    /// Synthetic corpus: `n` documents of ~`len` terms drawn from 50 topics of 400 terms
    /// (Zipf-like within a topic) plus a shared pool.
    fn synthetic_corpus(n: usize, len: usize, seed: u64) -> Vec<Vec<String>> {
        let mut rng = SplitMix64(seed);
        (0..n)
            .map(|_| {
                let t1 = rng.next_u64() % 50;
                let t2 = rng.next_u64() % 50;
                (0..len)
                    .map(|_| {
                        let u = rng.next_open01();
                        let pick = rng.next_u64() % 10;
                        let rank = ((u * u * u) * 400.0) as u64;
                        match pick {
                            0..=5 => format!("t{t1}_{rank}"),
                            6..=8 => format!("t{t2}_{rank}"),
                            _ => format!("g{}", ((u * u) * 2000.0) as u64),
                        }
                    })
                    .collect()
            })
            .collect()
    }

    fn small_params() -> TextModelParams {
        TextModelParams {
            dims: 6,
            ..TextModelParams::default()
        }
    }

    #[test]
    fn fit_is_deterministic_for_a_seed() {
        let docs = synthetic_corpus(300, 30, 1);
        let p = TextModelParams {
            dims: 16,
            ..TextModelParams::default()
        };
        let a = TextModel::fit(&docs, &p).unwrap();
        let b = TextModel::fit(&docs, &p).unwrap();
        assert_eq!(a.terms, b.terms);
        assert_eq!(a.projection, b.projection);
        assert_eq!(a.to_json(), b.to_json());
        assert_eq!(a.dims(), 16);

        // With a clear low-rank structure, another seed finds the same subspace.
        let docs = topic_corpus();
        let a = TextModel::fit(&docs, &small_params()).unwrap();
        let c = TextModel::fit(
            &docs,
            &TextModelParams {
                seed: 99,
                ..small_params()
            },
        )
        .unwrap();
        for (x, y) in [(0, 1), (0, 50), (45, 130), (200, 239)] {
            let ab = cosine_dense(&a.embed_terms(&docs[x]), &a.embed_terms(&docs[y]));
            let cb = cosine_dense(&c.embed_terms(&docs[x]), &c.embed_terms(&docs[y]));
            assert!((ab - cb).abs() < 0.05, "docs {x},{y}: {ab} vs {cb}");
        }
    }

    #[test]
    fn tfidf_is_normalised_and_ignores_unknown_terms() {
        let m = TextModel::fit(&topic_corpus(), &small_params()).unwrap();
        let v = m.tfidf(&doc(&["碳纤维", "碳纤维", "模具", "从未见过", "复合材料"]));
        assert_eq!(v.len(), 3);
        assert!((v.norm() - 1.0).abs() < 1e-6);
        assert!(v.0.windows(2).all(|w| w[0].0 < w[1].0));
        let known = m.tfidf(&doc(&["碳纤维", "碳纤维", "模具", "复合材料"]));
        assert_eq!(v, known);
        // Sublinear tf: a doubled term weighs (1 + ln 2) × its idf.
        let two = m.tfidf(&doc(&["碳纤维", "碳纤维", "模具"]));
        let w = |t: &str| {
            let i = m.term_index(t).unwrap();
            two.0.iter().find(|e| e.0 == i).unwrap().1
        };
        let ratio = w("碳纤维") / w("模具");
        let expected = (1.0 + 2f32.ln()) * m.idf("碳纤维").unwrap() / m.idf("模具").unwrap();
        assert!((ratio - expected).abs() < 1e-5, "{ratio} vs {expected}");
        assert!(m.tfidf(&doc(&["从未见过", "也没见过"])).is_empty());
        assert!(m.tfidf(&[]).is_empty());
        assert_eq!(m.embed(&SparseVec::default()), vec![0.0; m.dims()]);
        // idf formula.
        let df = topic_corpus()
            .iter()
            .filter(|d| d.iter().any(|t| t == "碳纤维"))
            .count();
        let expected = ((1.0 + 240.0) / (1.0 + df as f64)).ln() + 1.0;
        assert!((f64::from(m.idf("碳纤维").unwrap()) - expected).abs() < 1e-5);
    }

    #[test]
    fn self_cosine_is_one() {
        let docs = topic_corpus();
        let m = TextModel::fit(&docs, &small_params()).unwrap();
        for d in docs.iter().take(20) {
            let v = m.tfidf(d);
            assert!((cosine_sparse(&v, &v) - 1.0).abs() < 1e-5);
            let e = m.embed(&v);
            assert!((cosine_dense(&e, &e) - 1.0).abs() < 1e-5);
        }
        assert_eq!(
            cosine_sparse(&SparseVec::default(), &m.tfidf(&docs[0])),
            0.0
        );
        assert_eq!(cosine_dense(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        assert_eq!(cosine_dense(&[1.0], &[1.0, 0.0]), 0.0);
    }

    #[test]
    fn lsa_captures_co_occurrence() {
        let docs = topic_corpus();
        assert!(!docs.iter().any(|d| {
            d.iter().any(|t| t == "锂电池") && d.iter().any(|t| t == "动力电池")
        }));
        let m = TextModel::fit(&docs, &small_params()).unwrap();
        let li = m.tfidf(&doc(&["锂电池"]));
        let dong = m.tfidf(&doc(&["动力电池"]));
        let kang = m.tfidf(&doc(&["抗体"]));
        assert_eq!(cosine_sparse(&li, &dong), 0.0);
        let (el, ed, ek) = (m.embed(&li), m.embed(&dong), m.embed(&kang));
        let near = cosine_dense(&el, &ed);
        let far1 = cosine_dense(&el, &ek);
        let far2 = cosine_dense(&ed, &ek);
        assert!(near > 0.6, "锂电池~动力电池 {near}");
        assert!(far1 < 0.3 && far2 < 0.3, "抗体 {far1} {far2}");
        // Whole texts: a battery need vs a battery provider using the other word.
        let need = m.tfidf(&doc(&["锂电池", "正极", "中试"]));
        let provider = m.tfidf(&doc(&["动力电池", "电芯", "储能"]));
        let bio = m.tfidf(&doc(&["抗体", "细胞", "临床"]));
        let lsa_match = cosine_dense(&m.embed(&need), &m.embed(&provider));
        let lsa_other = cosine_dense(&m.embed(&need), &m.embed(&bio));
        assert!(lsa_match > lsa_other + 0.3, "{lsa_match} vs {lsa_other}");
    }

    #[test]
    fn singular_values_match_exact_decomposition() {
        // Oversampling up to the full width makes the range finder exact; with the defaults
        // (dims 64 + 10 on a ~100-term corpus, so also nearly full) the top values agree too.
        let docs = topic_corpus();
        let p = TextModelParams {
            dims: 12,
            oversample: 1000,
            ..TextModelParams::default()
        };
        let m = TextModel::fit(&docs, &p).unwrap();
        let approx = TextModel::fit(&docs, &small_params()).unwrap();
        for (a, b) in approx.singular_values().iter().zip(m.singular_values()) {
            assert!((a - b).abs() < 1e-3 * m.singular_values()[0], "{a} vs {b}");
        }
        let v = m.vocab_len();
        let mut ata = Array2::<f64>::zeros((v, v));
        for d in &docs {
            let row = m.tfidf(d);
            for &(i, wi) in &row.0 {
                for &(j, wj) in &row.0 {
                    ata[[i as usize, j as usize]] += f64::from(wi) * f64::from(wj);
                }
            }
        }
        let (vals, _) = ata.eigh().unwrap();
        let mut exact: Vec<f64> = vals.iter().map(|x| x.max(0.0).sqrt()).collect();
        exact.sort_by(|a, b| b.total_cmp(a));
        for (got, want) in m.singular_values().iter().zip(&exact) {
            assert!(
                (f64::from(*got) - want).abs() < 1e-3 * exact[0],
                "{got} vs {want}"
            );
        }
        // The projection rows are orthonormal components.
        let k = m.dims();
        for a in 0..k {
            for b in 0..k {
                let s: f64 = (0..v)
                    .map(|t| {
                        f64::from(m.projection[t * k + a]) * f64::from(m.projection[t * k + b])
                    })
                    .sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((s - want).abs() < 1e-4, "P Pᵀ[{a},{b}] = {s}");
            }
        }
    }

    #[test]
    fn json_round_trip_and_corruption() {
        let docs = topic_corpus();
        let m = TextModel::fit(&docs, &small_params()).unwrap();
        let json = m.to_json();
        assert!(json.contains("\"format\":1"));
        let back = TextModel::from_json(&json).unwrap();
        back.validate().unwrap();
        assert_eq!(back.vocab_len(), m.vocab_len());
        assert_eq!(back.dims(), m.dims());
        for d in &docs {
            let (a, b) = (m.tfidf(d), back.tfidf(d));
            assert_eq!(a, b);
            assert_eq!(m.embed(&a), back.embed(&b));
        }
        // Plain serde works too (the model may be embedded in a larger model file).
        let via_serde: TextModel =
            serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
        assert_eq!(via_serde.projection, m.projection);

        // Corrupted shapes are caught by validate() and on load.
        let mut bad = m.clone();
        bad.projection.pop();
        assert!(matches!(bad.validate(), Err(TextModelError::Corrupt(_))));
        let mut bad = m.clone();
        bad.idf.push(1.0);
        assert!(bad.validate().is_err());
        let mut value = serde_json::to_value(&m).unwrap();
        value["dims"] = serde_json::json!(m.dims() - 1);
        assert!(matches!(
            TextModel::from_json(&value.to_string()),
            Err(TextModelError::Corrupt(_))
        ));
        let mut value = serde_json::to_value(&m).unwrap();
        value["format"] = serde_json::json!(99);
        let err = TextModel::from_json(&value.to_string()).unwrap_err();
        assert!(err.to_string().contains("format"), "{err}");
        let mut value = serde_json::to_value(&m).unwrap();
        value["projection"] = serde_json::json!("not base64!");
        assert!(TextModel::from_json(&value.to_string()).is_err());
        assert!(TextModel::from_json("{}").is_err());
    }

    #[test]
    fn tiny_corpus_fits() {
        let docs = vec![
            doc(&["碳纤维", "中试", "工艺放大"]),
            doc(&["碳纤维", "模具"]),
            doc(&["中试", "工艺放大", "反应釜"]),
        ];
        // Default filters leave no vocabulary: a valid, empty model.
        let empty = TextModel::fit(&docs, &TextModelParams::default()).unwrap();
        assert_eq!(empty.vocab_len(), 0);
        assert_eq!(empty.dims(), 0);
        assert!(empty.tfidf(&docs[0]).is_empty());
        assert!(empty.embed_terms(&docs[0]).is_empty());
        TextModel::from_json(&empty.to_json()).unwrap();

        let p = TextModelParams {
            min_df: 1,
            max_df_ratio: 1.0,
            ..TextModelParams::default()
        };
        let m = TextModel::fit(&docs, &p).unwrap();
        assert_eq!(m.vocab_len(), 5);
        assert!(m.dims() >= 1 && m.dims() <= 3, "dims {}", m.dims());
        let e = m.embed_terms(&docs[0]);
        assert_eq!(e.len(), m.dims());
        assert!((cosine_dense(&e, &e) - 1.0).abs() < 1e-5);
        TextModel::from_json(&m.to_json()).unwrap();

        // A single document, and documents with no known terms at all.
        let one = TextModel::fit(&docs[..1], &p).unwrap();
        assert_eq!(one.dims(), 1);
        let blank = TextModel::fit(&[vec![], vec![]], &p).unwrap();
        assert_eq!(blank.dims(), 0);
        assert!(matches!(
            TextModel::fit(&[], &p),
            Err(TextModelError::EmptyCorpus)
        ));
    }

    #[test]
    fn params_check() {
        TextModelParams::default().check().unwrap();
        let zero_dims = TextModelParams {
            dims: 0,
            ..TextModelParams::default()
        };
        assert!(matches!(
            zero_dims.check(),
            Err(TextModelError::BadParams(_))
        ));
        assert!(TextModel::fit(&topic_corpus(), &zero_dims).is_err());
        for p in [
            TextModelParams {
                min_df: 0,
                ..TextModelParams::default()
            },
            TextModelParams {
                max_df_ratio: 0.0,
                ..TextModelParams::default()
            },
            TextModelParams {
                max_df_ratio: f64::NAN,
                ..TextModelParams::default()
            },
            TextModelParams {
                max_vocab: 0,
                ..TextModelParams::default()
            },
        ] {
            assert!(p.check().is_err(), "{p:?}");
        }
    }

    #[test]
    fn vocabulary_filters() {
        let docs = synthetic_corpus(400, 40, 3);
        let p = TextModelParams {
            max_vocab: 100,
            dims: 8,
            ..TextModelParams::default()
        };
        let m = TextModel::fit(&docs, &p).unwrap();
        assert_eq!(m.vocab_len(), 100);
        let df = |t: &str| docs.iter().filter(|d| d.iter().any(|x| x == t)).count();
        let dfs: Vec<usize> = m.terms().iter().map(|t| df(t)).collect();
        assert!(dfs.windows(2).all(|w| w[0] >= w[1]));
        assert!(dfs.iter().all(|d| (2..=200).contains(d)));
    }

    fn report_fit(n: usize) {
        let docs = synthetic_corpus(n, 60, 11);
        let params = TextModelParams::default();
        let start = Instant::now();
        let m = TextModel::fit(&docs, &params).unwrap();
        let fit = start.elapsed();
        let json = m.to_json();
        let probe: Vec<String> = synthetic_corpus(1, 100, 12).remove(0);
        let reps = 20_000;
        let start = Instant::now();
        let mut sink = 0.0f32;
        for _ in 0..reps {
            let e = m.embed(&m.tfidf(std::hint::black_box(&probe)));
            sink += e.first().copied().unwrap_or(0.0);
        }
        let per_call = start.elapsed() / reps;
        println!(
            "text_model: {n} docs × 60 terms: fit {fit:?}, vocab {}, dims {}, json {} bytes \
             ({:.2} MB); tfidf+embed of 100 terms {per_call:?} (sink {sink})",
            m.vocab_len(),
            m.dims(),
            json.len(),
            json.len() as f64 / 1e6
        );
    }

    #[test]
    #[ignore = "timing report; run with --release -- --ignored --nocapture"]
    fn timing_fit_4000_docs() {
        report_fit(4_000);
    }

    #[test]
    #[ignore = "timing report (large); run with --release -- --ignored --nocapture"]
    fn timing_fit_150000_docs() {
        report_fit(150_000);
    }
}
