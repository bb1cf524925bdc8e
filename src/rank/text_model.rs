//! TF-IDF and latent semantic text similarity (in progress).
