//! Capacitated assignment of enterprises to technology commissioners, behind
//! `POST /v1/commissioners/assign`: each commissioner takes at most its remaining capacity,
//! each enterprise goes to at most one commissioner, only the given (commissioner,
//! enterprise) pairs may be used, and the total fit is maximal. An enterprise is assigned
//! only when that adds positive fit.
//!
//! [`solve`] is exact (min-cost flow by successive shortest paths); [`greedy`] is the
//! baseline that tests and benchmarks compare it against.
//!
//! Inputs are forgiving rather than strict: edges naming a commissioner or an enterprise
//! out of range, edges whose score is not a finite number > 0, and edges of commissioners
//! whose capacity is 0 are skipped; of several edges for the same pair the best is kept.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One allowed pair and its fit (higher is better, > 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// Commissioner index (into [`Problem::capacities`]).
    pub commissioner: usize,
    /// Enterprise index (`< Problem::enterprises`).
    pub enterprise: usize,
    /// Fit of the pair; edges with a score that is not finite and > 0 are ignored.
    pub score: f64,
}

/// The problem: capacities per commissioner (index = commissioner), number of enterprises,
/// edges.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    /// Remaining capacity of each commissioner; the index is the commissioner.
    pub capacities: Vec<u32>,
    /// Number of enterprises; enterprises are `0..enterprises`.
    pub enterprises: usize,
    /// The allowed pairs. Out-of-range pairs are skipped; duplicates keep the best score.
    pub edges: Vec<Edge>,
}

/// The solution.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// (commissioner, enterprise, score) for each assigned enterprise, sorted by enterprise
    /// index.
    pub assigned: Vec<(usize, usize, f64)>,
    /// Sum of the assigned scores.
    pub total: f64,
}

impl Plan {
    fn from_assigned(mut assigned: Vec<(usize, usize, f64)>) -> Plan {
        assigned.sort_by_key(|&(_, e, _)| e);
        let total = assigned.iter().map(|&(_, _, s)| s).sum();
        Plan { assigned, total }
    }
}

/// Whether an edge can ever be used (see the module documentation).
fn usable(p: &Problem, e: &Edge) -> bool {
    e.commissioner < p.capacities.len()
        && e.enterprise < p.enterprises
        && e.score.is_finite()
        && e.score > 0.0
        && p.capacities[e.commissioner] > 0
}

/// Exact maximum-weight capacitated assignment by min-cost flow (successive shortest paths
/// with Dijkstra on reduced costs / Johnson potentials), stopping as soon as the next
/// augmenting path would not increase total fit.
///
/// The network: enterprise → commissioner (capacity 1, cost −fit), commissioner → sink
/// (capacity = the commissioner's capacity, cost 0), and enterprise → sink (capacity 1,
/// cost 0: "left unassigned"). Enterprises are inserted one at a time, in index order, each
/// as a unit supply; its shortest augmenting path to the sink (Dijkstra with a binary heap
/// on reduced costs, stopped as soon as the sink is settled; only settled nodes get their
/// potentials updated) either assigns it — possibly moving already assigned enterprises to
/// other commissioners, or dropping one — or, when no path increases total fit, leaves it
/// unassigned (zero-gain ties are left unassigned too). Each search is bounded by that
/// zero-cost "unassigned" arc, so searches stay local. The result is optimal for the whole
/// problem regardless of the insertion order.
///
/// Costs are integers: scores are divided by the largest usable score and scaled to at most
/// 2^40 (less for graphs above ~65,000 nodes, so that no potential can overflow `i64`), then
/// rounded. Scores under ~1e-12 of the largest score therefore round to 0 and are ignored,
/// and totals are exact up to that relative rounding; [`Plan`] reports the original `f64`
/// scores. Output is deterministic: heap ties are broken by node index.
pub fn solve(p: &Problem) -> Plan {
    let g = Graph::new(p);
    let mut s = Solver::new(&g);
    for e in 0..g.enterprises() {
        s.insert(e);
    }
    let assigned = (0..g.enterprises())
        .filter(|&e| s.owner[e] != NONE)
        .map(|e| (s.owner[e] as usize, e, g.score[s.owner_edge[e] as usize]))
        .collect();
    Plan::from_assigned(assigned)
}

/// Greedy baseline: edges by descending score (ties by commissioner, then enterprise
/// index), take when both sides are free. Used by tests and benchmarks to report the gap to
/// [`solve`]. Unusable edges are skipped as in [`solve`].
pub fn greedy(p: &Problem) -> Plan {
    let mut edges: Vec<&Edge> = p.edges.iter().filter(|e| usable(p, e)).collect();
    edges.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.commissioner.cmp(&b.commissioner))
            .then(a.enterprise.cmp(&b.enterprise))
    });
    let mut left = p.capacities.clone();
    let mut taken = vec![false; p.enterprises];
    let mut assigned = Vec::new();
    for e in edges {
        if left[e.commissioner] > 0 && !taken[e.enterprise] {
            left[e.commissioner] -= 1;
            taken[e.enterprise] = true;
            assigned.push((e.commissioner, e.enterprise, e.score));
        }
    }
    Plan::from_assigned(assigned)
}

/// No commissioner / no enterprise.
const NONE: u32 = u32::MAX;
/// Largest scaled integer fit.
const MAX_UNIT: f64 = (1u64 << 40) as f64;
/// Bound on `unit × (nodes + 1)`, which keeps every potential and distance inside `i64`.
const BUDGET: f64 = (1u64 << 56) as f64;

/// The usable edges in compressed rows by enterprise, with integer gains.
struct Graph {
    capacities: Vec<u32>,
    /// Row `e` is `start[e]..start[e + 1]`.
    start: Vec<usize>,
    arcs: Vec<Arc>,
    /// Original fit, per arc.
    score: Vec<f64>,
}

/// An enterprise → commissioner arc.
#[derive(Clone, Copy)]
struct Arc {
    commissioner: u32,
    /// Scaled fit, ≥ 1.
    gain: i64,
}

impl Graph {
    fn new(p: &Problem) -> Graph {
        let (nc, ne) = (p.capacities.len(), p.enterprises);
        assert!(
            nc < NONE as usize && ne < NONE as usize,
            "assignment problem too large: {nc} commissioners, {ne} enterprises"
        );
        let mut kept: Vec<Edge> = p.edges.iter().copied().filter(|e| usable(p, e)).collect();
        kept.sort_unstable_by(|a, b| {
            a.enterprise
                .cmp(&b.enterprise)
                .then(a.commissioner.cmp(&b.commissioner))
                .then(b.score.total_cmp(&a.score))
        });
        // Keeps the first, i.e. best, edge of each pair.
        kept.dedup_by(|later, first| {
            (later.enterprise, later.commissioner) == (first.enterprise, first.commissioner)
        });
        let max = kept.iter().map(|e| e.score).fold(0.0, f64::max);
        let unit = MAX_UNIT.min(BUDGET / (nc + ne + 2) as f64).floor().max(1.0);
        let mut g = Graph {
            capacities: p.capacities.clone(),
            start: vec![0; ne + 1],
            arcs: Vec::with_capacity(kept.len()),
            score: Vec::with_capacity(kept.len()),
        };
        for e in kept {
            let gain = (e.score / max * unit).round();
            if gain >= 1.0 {
                g.start[e.enterprise + 1] += 1;
                g.arcs.push(Arc {
                    commissioner: e.commissioner as u32,
                    gain: gain as i64,
                });
                g.score.push(e.score);
            }
        }
        for e in 0..ne {
            g.start[e + 1] += g.start[e];
        }
        g
    }

    fn commissioners(&self) -> usize {
        self.capacities.len()
    }

    fn enterprises(&self) -> usize {
        self.start.len() - 1
    }
}

/// Node ids in the residual network: the sink, then commissioners, then enterprises.
const SINK: u32 = 0;

/// The current flow (who is assigned where), potentials, and Dijkstra buffers reused
/// across searches.
struct Solver<'g> {
    g: &'g Graph,
    /// Per enterprise: its commissioner, or `NONE`.
    owner: Vec<u32>,
    /// Per assigned enterprise: the row index of its edge.
    owner_edge: Vec<u32>,
    /// Per assigned enterprise: its position in `members[owner]`.
    slot: Vec<u32>,
    /// Per commissioner: the enterprises assigned to it, with their gains.
    members: Vec<Vec<Member>>,
    /// Per node.
    nodes: Vec<Node>,
    /// Per commissioner: the enterprise, and its row index, it was reached from.
    pred_enterprise: Vec<u32>,
    pred_edge: Vec<u32>,
    /// The node the sink was reached from.
    pred_sink: u32,
    touched: Vec<u32>,
    settled: Vec<u32>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
}

/// Per-node state, kept together for locality.
#[derive(Clone, Copy)]
struct Node {
    /// Johnson potential; the sink's stays 0.
    pot: i64,
    /// Reduced distance in the current search (`i64::MAX` when unreached).
    dist: i64,
}

/// An enterprise assigned to a commissioner, with the gain of that arc.
#[derive(Clone, Copy)]
struct Member {
    enterprise: u32,
    gain: i64,
}

/// Lowers `dist(v)` to `d` if that is an improvement; returns whether it was.
#[inline]
fn relax(
    nodes: &mut [Node],
    touched: &mut Vec<u32>,
    heap: &mut BinaryHeap<Reverse<(i64, u32)>>,
    v: u32,
    d: i64,
) -> bool {
    let slot = &mut nodes[v as usize].dist;
    if d < *slot {
        if *slot == i64::MAX {
            touched.push(v);
        }
        *slot = d;
        heap.push(Reverse((d, v)));
        true
    } else {
        false
    }
}

impl<'g> Solver<'g> {
    fn new(g: &'g Graph) -> Solver<'g> {
        let (nc, ne) = (g.commissioners(), g.enterprises());
        let nodes = 1 + nc + ne;
        Solver {
            g,
            owner: vec![NONE; ne],
            owner_edge: vec![NONE; ne],
            slot: vec![NONE; ne],
            members: g
                .capacities
                .iter()
                .map(|&c| Vec::with_capacity(c.min(64) as usize))
                .collect(),
            nodes: vec![
                Node {
                    pot: 0,
                    dist: i64::MAX
                };
                nodes
            ],
            pred_enterprise: vec![NONE; nc],
            pred_edge: vec![NONE; nc],
            pred_sink: NONE,
            touched: Vec::new(),
            settled: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    fn e_node(&self, e: usize) -> u32 {
        (1 + self.g.commissioners() + e) as u32
    }

    fn assign(&mut self, e: usize, c: usize, edge: u32) {
        self.owner[e] = c as u32;
        self.owner_edge[e] = edge;
        self.slot[e] = self.members[c].len() as u32;
        self.members[c].push(Member {
            enterprise: e as u32,
            gain: self.g.arcs[edge as usize].gain,
        });
    }

    fn unassign(&mut self, e: usize) {
        let c = self.owner[e] as usize;
        let at = self.slot[e] as usize;
        self.members[c].swap_remove(at);
        if let Some(moved) = self.members[c].get(at) {
            self.slot[moved.enterprise as usize] = at as u32;
        }
        self.owner[e] = NONE;
        self.owner_edge[e] = NONE;
        self.slot[e] = NONE;
    }

    /// Routes enterprise `e0`'s unit of supply along a shortest augmenting path.
    fn insert(&mut self, e0: usize) {
        let g = self.g;
        let nc = g.commissioners();
        let row = g.start[e0]..g.start[e0 + 1];
        if row.is_empty() {
            return;
        }
        let src = self.e_node(e0);
        // `e0` has no incoming residual arc yet, so its potential is free: the smallest
        // that makes its outgoing reduced costs non-negative.
        let arcs = &g.arcs[row.clone()];
        let mut p0 = self.nodes[SINK as usize].pot;
        for a in arcs {
            p0 = p0.max(self.nodes[1 + a.commissioner as usize].pot + a.gain);
        }
        self.nodes[src as usize] = Node { pot: p0, dist: 0 };
        self.touched.push(src);
        self.settled.push(src);
        for (i, a) in row.zip(arcs) {
            let w = 1 + a.commissioner;
            let d = p0 - a.gain - self.nodes[w as usize].pot;
            debug_assert!(d >= 0);
            if relax(&mut self.nodes, &mut self.touched, &mut self.heap, w, d) {
                self.pred_enterprise[a.commissioner as usize] = e0 as u32;
                self.pred_edge[a.commissioner as usize] = i as u32;
            }
        }
        relax(&mut self.nodes, &mut self.touched, &mut self.heap, SINK, p0);
        self.pred_sink = src;

        // Dijkstra, stopped when the sink is settled (it is always reachable from `e0`).
        while let Some(Reverse((d, v))) = self.heap.pop() {
            if d > self.nodes[v as usize].dist {
                continue;
            }
            self.settled.push(v);
            if v == SINK {
                break;
            }
            let pv = self.nodes[v as usize].pot;
            let ps = self.nodes[SINK as usize].pot;
            if (v as usize) <= nc {
                let c = v as usize - 1;
                if self.members[c].len() < g.capacities[c] as usize {
                    let nd = d + pv - ps;
                    debug_assert!(nd >= d);
                    if relax(&mut self.nodes, &mut self.touched, &mut self.heap, SINK, nd) {
                        self.pred_sink = v;
                    }
                }
                for m in &self.members[c] {
                    let w = (1 + nc) as u32 + m.enterprise;
                    let nd = d + m.gain + pv - self.nodes[w as usize].pot;
                    debug_assert!(nd >= d);
                    // The enterprise's predecessor is its owner: no record needed.
                    relax(&mut self.nodes, &mut self.touched, &mut self.heap, w, nd);
                }
            } else {
                let e = v as usize - 1 - nc;
                let nd = d + pv - ps;
                debug_assert!(nd >= d);
                if relax(&mut self.nodes, &mut self.touched, &mut self.heap, SINK, nd) {
                    self.pred_sink = v;
                }
                let own = self.owner[e];
                let first = g.start[e];
                for (i, a) in g.arcs[first..g.start[e + 1]].iter().enumerate() {
                    if a.commissioner == own {
                        continue;
                    }
                    let w = 1 + a.commissioner;
                    let nd = d - a.gain + pv - self.nodes[w as usize].pot;
                    debug_assert!(nd >= d);
                    if relax(&mut self.nodes, &mut self.touched, &mut self.heap, w, nd) {
                        self.pred_enterprise[a.commissioner as usize] = e as u32;
                        self.pred_edge[a.commissioner as usize] = (first + i) as u32;
                    }
                }
            }
        }
        self.heap.clear();

        let dt = self.nodes[SINK as usize].dist;
        // Real cost of the path = reduced distance + pot(sink) − pot(e0). The direct
        // "unassigned" arc costs 0, so the real cost is ≤ 0; when it is 0 no path gains
        // anything, and that arc (also a shortest path) is taken.
        if dt + self.nodes[SINK as usize].pot - p0 >= 0 {
            self.pred_sink = src;
        }
        self.augment(e0);

        // Johnson potentials, shifted by −dist(sink) so that only settled nodes change:
        // pot(v) += dist(v) − dist(sink). Unsettled nodes have dist ≥ dist(sink), which
        // keeps every residual reduced cost non-negative; the sink's potential stays put.
        for &v in &self.settled {
            let n = &mut self.nodes[v as usize];
            n.pot += n.dist - dt;
        }
        for &v in &self.touched {
            self.nodes[v as usize].dist = i64::MAX;
        }
        self.settled.clear();
        self.touched.clear();
    }

    /// Flips the arcs of the path found for `e0`, from the sink back.
    fn augment(&mut self, e0: usize) {
        let nc = self.g.commissioners();
        let last = self.pred_sink as usize;
        let mut c = if last <= nc {
            // A commissioner with room takes one more.
            last - 1
        } else {
            let x = last - 1 - nc;
            if x == e0 {
                return; // left unassigned
            }
            // `x` drops out; its commissioner takes the previous enterprise on the path.
            let c = self.owner[x] as usize;
            self.unassign(x);
            c
        };
        loop {
            let e = self.pred_enterprise[c] as usize;
            let edge = self.pred_edge[c];
            if e == e0 {
                self.assign(e, c, edge);
                return;
            }
            let from = self.owner[e] as usize;
            self.unassign(e);
            self.assign(e, c, edge);
            c = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64, inline so the tests stand alone.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// Uniform in `(0, 1]`.
        fn unit(&mut self) -> f64 {
            ((self.next() >> 11) + 1) as f64 / (1u64 << 53) as f64
        }
    }

    fn edge(commissioner: usize, enterprise: usize, score: f64) -> Edge {
        Edge {
            commissioner,
            enterprise,
            score,
        }
    }

    /// Best score per usable pair.
    fn best_scores(p: &Problem) -> Vec<Vec<Option<f64>>> {
        let mut best = vec![vec![None; p.enterprises]; p.capacities.len()];
        for e in p.edges.iter().filter(|e| usable(p, e)) {
            let slot: &mut Option<f64> = &mut best[e.commissioner][e.enterprise];
            *slot = Some(slot.map_or(e.score, |s| s.max(e.score)));
        }
        best
    }

    /// Exhaustive optimum: every enterprise unassigned or on any usable pair with room.
    /// Exponential; tiny problems only.
    fn exhaustive(p: &Problem) -> f64 {
        fn go(e: usize, best: &[Vec<Option<f64>>], left: &mut [u32], ne: usize) -> f64 {
            if e == ne {
                return 0.0;
            }
            let mut top = go(e + 1, best, left, ne);
            for c in 0..left.len() {
                if let Some(s) = best[c][e]
                    && left[c] > 0
                {
                    left[c] -= 1;
                    top = top.max(s + go(e + 1, best, left, ne));
                    left[c] += 1;
                }
            }
            top
        }
        let best = best_scores(p);
        go(0, &best, &mut p.capacities.clone(), p.enterprises)
    }

    /// Capacities respected, enterprises at most once, only existing pairs at their best
    /// score, sorted by enterprise, total = sum.
    fn check_feasible(p: &Problem, plan: &Plan) {
        let best = best_scores(p);
        let mut load = vec![0u32; p.capacities.len()];
        let mut sum = 0.0;
        for (k, &(c, e, s)) in plan.assigned.iter().enumerate() {
            if k > 0 {
                assert!(
                    plan.assigned[k - 1].1 < e,
                    "not sorted or assigned twice: {e}"
                );
            }
            assert_eq!(
                best[c][e],
                Some(s),
                "pair ({c}, {e}) with {s} is not a best edge"
            );
            load[c] += 1;
            assert!(load[c] <= p.capacities[c], "commissioner {c} over capacity");
            sum += s;
        }
        assert!((sum - plan.total).abs() <= 1e-9 * (1.0 + sum.abs()));
    }

    fn random_problem(rng: &mut Rng, nc: usize, ne: usize, per: usize, cap: (u32, u32)) -> Problem {
        let capacities = (0..nc)
            .map(|_| cap.0 + rng.below(u64::from(cap.1 - cap.0 + 1)) as u32)
            .collect();
        let mut edges = Vec::with_capacity(ne * per);
        for e in 0..ne {
            for _ in 0..per {
                let c = rng.below(nc as u64) as usize;
                edges.push(edge(c, e, rng.unit()));
            }
        }
        Problem {
            capacities,
            enterprises: ne,
            edges,
        }
    }

    #[test]
    fn one_commissioner_picks_the_better() {
        let p = Problem {
            capacities: vec![1],
            enterprises: 2,
            edges: vec![edge(0, 0, 0.4), edge(0, 1, 0.7)],
        };
        let plan = solve(&p);
        assert_eq!(plan.assigned, vec![(0, 1, 0.7)]);
        assert_eq!(plan.total, 0.7);
    }

    #[test]
    fn beats_greedy_where_greedy_is_suboptimal() {
        let p = Problem {
            capacities: vec![1, 1],
            enterprises: 2,
            edges: vec![edge(0, 0, 10.0), edge(0, 1, 9.0), edge(1, 0, 8.0)],
        };
        let plan = solve(&p);
        assert_eq!(plan.assigned, vec![(1, 0, 8.0), (0, 1, 9.0)]);
        assert_eq!(plan.total, 17.0);
        assert_eq!(greedy(&p).total, 10.0);
    }

    #[test]
    fn capacity_zero_gets_nothing_and_lonely_enterprise_stays_free() {
        let p = Problem {
            capacities: vec![0, 2],
            enterprises: 4,
            edges: vec![
                edge(0, 0, 5.0),
                edge(0, 1, 5.0),
                edge(1, 1, 1.0),
                edge(1, 2, 2.0),
            ],
        };
        let plan = solve(&p);
        assert_eq!(plan.assigned, vec![(1, 1, 1.0), (1, 2, 2.0)]);
        assert_eq!(plan.total, 3.0);
        assert_eq!(greedy(&p), plan);
    }

    #[test]
    fn bad_edges_skipped_and_duplicates_keep_the_best() {
        let p = Problem {
            capacities: vec![1, 1],
            enterprises: 2,
            edges: vec![
                edge(0, 0, 1.0),
                edge(0, 0, 3.0),
                edge(0, 0, 2.0),
                edge(2, 0, 9.0),
                edge(1, 2, 9.0),
                edge(1, 1, 0.0),
                edge(1, 1, -4.0),
                edge(1, 1, f64::NAN),
                edge(1, 1, f64::INFINITY),
            ],
        };
        let plan = solve(&p);
        assert_eq!(plan.assigned, vec![(0, 0, 3.0)]);
        assert_eq!(greedy(&p), plan);
        assert_eq!(solve(&Problem::default()).assigned, vec![]);
    }

    #[test]
    fn chain_of_moves() {
        // e2 arrives last and can only go to c0; the optimum shifts e1 to c1 and e0 out.
        let p = Problem {
            capacities: vec![1, 1],
            enterprises: 3,
            edges: vec![
                edge(0, 0, 1.0),
                edge(0, 1, 5.0),
                edge(1, 1, 4.0),
                edge(1, 0, 0.5),
                edge(0, 2, 10.0),
            ],
        };
        let plan = solve(&p);
        assert_eq!(plan.assigned, vec![(1, 1, 4.0), (0, 2, 10.0)]);
        assert_eq!(plan.total, exhaustive(&p));
    }

    #[test]
    fn matches_exhaustive_on_random_tiny_problems() {
        let mut rng = Rng(0x5EED_0A55_1C4E);
        let mut worst: f64 = 1.0;
        for round in 0..300 {
            let nc = 1 + rng.below(4) as usize;
            let ne = rng.below(8) as usize;
            let density = rng.unit();
            let mut p = Problem {
                capacities: (0..nc).map(|_| rng.below(4) as u32).collect(),
                enterprises: ne,
                edges: Vec::new(),
            };
            for c in 0..nc {
                for e in 0..ne {
                    if rng.unit() <= density {
                        // Coarse scores now and then, to exercise ties.
                        let s = if round % 3 == 0 {
                            (1 + rng.below(4)) as f64 / 4.0
                        } else {
                            rng.unit()
                        };
                        p.edges.push(edge(c, e, s));
                        if rng.below(8) == 0 {
                            p.edges.push(edge(c, e, rng.unit()));
                        }
                    }
                }
            }
            if rng.below(10) == 0 {
                p.edges.push(edge(nc, 0, 1.0));
            }
            let (plan, base, best) = (solve(&p), greedy(&p), exhaustive(&p));
            check_feasible(&p, &plan);
            check_feasible(&p, &base);
            assert!(
                (plan.total - best).abs() <= 1e-6,
                "round {round}: solve {} vs optimum {best} for {p:?}",
                plan.total
            );
            assert!(
                base.total <= plan.total + 1e-9,
                "round {round}: greedy beats solve"
            );
            assert_eq!(solve(&p), plan, "not deterministic");
            if best > 0.0 {
                worst = worst.min(base.total / best);
            }
        }
        eprintln!("worst greedy / optimum over 300 tiny problems: {worst:.4}");
    }

    #[test]
    fn moderately_large() {
        let mut rng = Rng(42);
        let p = random_problem(&mut rng, 50, 2_000, 10, (8, 20));
        let (plan, base) = (solve(&p), greedy(&p));
        check_feasible(&p, &plan);
        check_feasible(&p, &base);
        assert!(!plan.assigned.is_empty());
        assert!(
            plan.total >= base.total,
            "{} < greedy {}",
            plan.total,
            base.total
        );
        eprintln!(
            "50 × 2000 × 10: solve {:.3} ({} assigned), greedy {:.3} ({:.4})",
            plan.total,
            plan.assigned.len(),
            base.total,
            base.total / plan.total
        );
    }
}
