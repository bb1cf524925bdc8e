//! A tiny deterministic PRNG (SplitMix64) with the sampling helpers the demo world needs.
//!
//! Written here rather than taken from a crate so that the world generated for a seed never
//! changes when dependencies are upgraded.

/// SplitMix64 generator with helpers for uniform, range, choice, weighted choice, shuffle and
/// normal (Box–Muller) sampling.
use crate::rng::{SplitMix64, mix};

#[derive(Clone, Debug)]
pub(crate) struct Rng {
    inner: SplitMix64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

impl Rng {
    /// An independent generator for record `index` of stream `stream` under `seed`, so that a
    /// record's random choices do not depend on how many numbers other records consumed.
    pub(crate) fn derive(seed: u64, stream: u64, index: u64) -> Self {
        let a = mix(seed.wrapping_add(GOLDEN.wrapping_mul(stream.wrapping_add(1))));
        let b = mix(a ^ index
            .wrapping_mul(0xD1B5_4A32_D192_ED03)
            .wrapping_add(stream));
        Self {
            inner: SplitMix64(b),
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in [0, 1).
    pub(crate) fn f64(&mut self) -> f64 {
        self.inner.next_f64()
    }

    /// Uniform in [0, n); 0 when n is 0.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform integer in [lo, hi] (inclusive).
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// Uniform real in [lo, hi).
    pub(crate) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    /// True with probability p.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// A uniformly chosen element (the slice must not be empty).
    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// A uniformly chosen element, copied (the slice must not be empty).
    pub(crate) fn pick_copy<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    /// An index chosen with probability proportional to `w` (non-negative weights).
    pub(crate) fn weighted(&mut self, w: &[f64]) -> usize {
        let total: f64 = w.iter().sum();
        if total <= 0.0 || w.is_empty() {
            return self.below(w.len());
        }
        let mut x = self.f64() * total;
        for (i, &wi) in w.iter().enumerate() {
            if x < wi {
                return i;
            }
            x -= wi;
        }
        w.len() - 1
    }

    /// Fisher–Yates shuffle.
    pub(crate) fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }

    /// Normal deviate via Box–Muller.
    pub(crate) fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let u1 = 1.0 - self.f64();
        let u2 = self.f64();
        mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Up to `k` distinct indices from [0, n), in random order.
    pub(crate) fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        if k >= n {
            let mut all: Vec<usize> = (0..n).collect();
            self.shuffle(&mut all);
            return all;
        }
        if k * 4 >= n {
            let mut all: Vec<usize> = (0..n).collect();
            for i in 0..k {
                let j = i + self.below(n - i);
                all.swap(i, j);
            }
            all.truncate(k);
            return all;
        }
        let mut out: Vec<usize> = Vec::with_capacity(k);
        while out.len() < k {
            let x = self.below(n);
            if !out.contains(&x) {
                out.push(x);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_range() {
        let mut a = Rng::derive(7, 0, 0);
        let mut b = Rng::derive(7, 0, 0);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut r = Rng::derive(1, 2, 3);
        for _ in 0..1000 {
            let x = r.f64();
            assert!((0.0..1.0).contains(&x));
            let y = r.range(3, 5);
            assert!((3..=5).contains(&y));
            assert!(r.below(7) < 7);
        }
        let s = r.sample(10, 4);
        assert_eq!(s.len(), 4);
        let mean: f64 = (0..4000).map(|_| r.normal(1.0, 2.0)).sum::<f64>() / 4000.0;
        assert!((mean - 1.0).abs() < 0.2);
    }
}
