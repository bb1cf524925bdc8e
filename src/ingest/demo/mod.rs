//! The demo-world generator: a synthetic but realistic Chongqing world of technology SMEs,
//! their needs, providers (中试熟化平台, 技术转移机构, 技术经纪人) and 科技专员, written as
//! JSON Lines in the data-model.md format, plus simulated feedback and relevance judgments.
//!
//! The world has hidden structure (each record's real topic, the provider's quality and load)
//! that the text only partly reveals through varied wording; a hidden `true_fit` decides the
//! simulated feedback and the judgments, so rankers can be trained and evaluated against it.
//! Output is deterministic for a seed (own PRNG, no hash-map iteration) and streamed line by
//! line; only compact records (indices, bitmasks, topic ids) are kept in memory.
//!
//! Submodules: `rng` (SplitMix64), `vocab` (phrase banks), `world` (hidden records and the
//! ground truth), `text` (Chinese text rendering), `feedback` (sessions and judgments).

mod feedback;
mod rng;
mod text;
mod vocab;
mod world;

use std::io::{self, BufWriter, Write};

use serde::Serialize;

use feedback::{
    ACTOR_BROKER, ACTOR_COMMISSIONER, ACTORS, EVENTS, Ev, LegacyRanker, REASONS, broker_candidates,
    commissioner_candidates, grade_providers, is_broker, simulate_need, simulate_outreach,
};
use rng::Rng;
use vocab::{DISTRICTS, SERVICES};
use world::{
    Enterprise, Need, Provider, Spec, Vocab, field_codes, sample_commissioner, sample_enterprise,
    sample_need, sample_provider, service_codes,
};

/// Generator settings. Sizes at scale 1.0: 2,000 enterprises, 3,000 needs, 600 providers,
/// 150 commissioners.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoConfig {
    /// Seed of every random choice; the same seed gives the same bytes.
    pub seed: u64,
    /// Multiplies every count (rounded; at least one of each entity kind).
    pub scale: f64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            scale: 1.0,
        }
    }
}

/// Counts of what was written.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct DemoSummary {
    pub enterprises: usize,
    pub needs: usize,
    pub providers: usize,
    pub commissioners: usize,
    pub feedback: usize,
    pub judgments: usize,
}

// Random streams (one per purpose, so records do not perturb each other).
const S_PROVIDER: u64 = 1;
const S_PROVIDER_TEXT: u64 = 2;
const S_COMMISSIONER: u64 = 3;
const S_ENTERPRISE: u64 = 4;
const S_ENTERPRISE_TEXT: u64 = 5;
const S_NEED_ASSIGN: u64 = 6;
const S_NEED: u64 = 7;
const S_NEED_TEXT: u64 = 8;
const S_FEEDBACK: u64 = 9;
const S_JUDGE: u64 = 10;
const S_QUERY: u64 = 11;
const S_OUTREACH: u64 = 12;
const S_SPLIT: u64 = 13;

/// Share of needs that get simulated feedback.
const FEEDBACK_SHARE: f64 = 0.7;

// ---------------------------------------------------------------- dates

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Day number of 2024-07-01 (earliest outreach date).
pub(crate) fn day_2024_07() -> i64 {
    days_from_civil(2024, 7, 1)
}

/// RFC 3339 with +08:00 for local wall-clock seconds.
fn fmt_ts(local: i64) -> String {
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+08:00",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn fmt_date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

// ---------------------------------------------------------------- output lines

#[derive(Serialize)]
struct ProviderLine<'a> {
    kind: &'static str,
    id: &'a str,
    provider_type: &'static str,
    name: &'a str,
    district: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    served_districts: Vec<&'static str>,
    fields: Vec<&'static str>,
    services: Vec<&'static str>,
    keywords: &'a [String],
    description: &'a str,
    capacity: u8,
    qualifications: &'a [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<&'a str>,
}

#[derive(Serialize)]
struct CommissionerLine<'a> {
    kind: &'static str,
    id: &'a str,
    name: &'a str,
    organization: &'a str,
    districts: Vec<&'static str>,
    fields: Vec<&'static str>,
    expertise: &'a str,
    max_load: u8,
}

#[derive(Serialize)]
struct EnterpriseLine<'a> {
    kind: &'static str,
    id: &'a str,
    name: &'a str,
    credit_code: &'a str,
    district: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<&'static str>,
    keywords: &'a [String],
    description: &'a str,
    founded: i64,
    employees: i64,
    certifications: &'a [&'static str],
}

#[derive(Serialize)]
struct NeedLine<'a> {
    kind: &'static str,
    id: &'a str,
    enterprise_id: &'a str,
    title: &'a str,
    description: &'a str,
    service: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<&'static str>,
    district: &'static str,
    budget_wan: u32,
    deadline: &'a str,
    status: &'static str,
}

#[derive(Serialize, Default)]
struct FeedbackLine<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    need_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commissioner_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    broker_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enterprise_id: Option<&'a str>,
    event: &'static str,
    actor: &'static str,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rank: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ranker: Option<&'static str>,
}

#[derive(Serialize)]
struct NeedJudgment<'a> {
    need_id: &'a str,
    provider_id: &'a str,
    grade: u8,
}

#[derive(Serialize)]
struct QueryJudgment<'a> {
    query: &'a str,
    query_id: &'a str,
    provider_id: &'a str,
    grade: u8,
}

#[derive(Serialize)]
struct CommissionerJudgment<'a> {
    commissioner_id: &'a str,
    enterprise_id: &'a str,
    grade: u8,
}

fn line<T: Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

fn pid(i: u32) -> String {
    format!("P-{:05}", i + 1)
}
fn cid(i: u32) -> String {
    format!("C-{:05}", i + 1)
}
fn eid(i: u32) -> String {
    format!("E-{:06}", i + 1)
}
fn nid(i: u32) -> String {
    format!("N-{:06}", i + 1)
}

fn scaled(base: f64, scale: f64) -> usize {
    ((base * scale).round().max(1.0)) as usize
}

fn district_names(ds: &[u8]) -> Vec<&'static str> {
    ds.iter().map(|&d| DISTRICTS[d as usize].name).collect()
}

// ---------------------------------------------------------------- the generator

/// Writes the world as JSON Lines in data-model.md format. `entities` receives, in this order,
/// providers, commissioners, enterprises, needs (all enterprises, then all needs), then all
/// feedback lines (kind "feedback"), so the one stream imports cleanly in order.
/// `judgments` receives relevance-judgment lines (data-model.md "Relevance judgments").
pub fn write_world(
    cfg: &DemoConfig,
    entities: &mut dyn Write,
    judgments: &mut dyn Write,
) -> io::Result<DemoSummary> {
    let scale = if cfg.scale.is_finite() && cfg.scale > 0.0 {
        cfg.scale
    } else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "demo scale must be a positive number",
        ));
    };
    let seed = cfg.seed;
    let v = Vocab::new();
    let mut out = BufWriter::with_capacity(1 << 16, entities);
    let mut jout = BufWriter::with_capacity(1 << 16, judgments);
    let n_prov = scaled(600.0, scale);
    let n_comm = scaled(150.0, scale);
    let n_ent = scaled(2000.0, scale);
    let n_need = scaled(3000.0, scale);
    let mut summary = DemoSummary::default();

    // Providers.
    let mut providers: Vec<Provider> = Vec::with_capacity(n_prov);
    for i in 0..n_prov {
        let mut rng = Rng::derive(seed, S_PROVIDER, i as u64);
        let mut p = sample_provider(&v, &mut rng);
        let t = text::provider_text(&v, &mut p, Rng::derive(seed, S_PROVIDER_TEXT, i as u64));
        let id = pid(i as u32);
        let served_districts = if p.served_all {
            vec!["全市"]
        } else {
            district_names(&p.served)
        };
        line(
            &mut out,
            &ProviderLine {
                kind: "provider",
                id: &id,
                provider_type: p.ptype.code(),
                name: &t.name,
                district: p.place.name(),
                served_districts,
                fields: field_codes(p.fields),
                services: service_codes(p.services),
                keywords: &t.keywords,
                description: &t.description,
                capacity: p.capacity,
                qualifications: &t.qualifications,
                organization: t.organization.as_deref(),
            },
        )?;
        providers.push(p);
    }
    summary.providers = n_prov;

    // Commissioners.
    let mut commissioners = Vec::with_capacity(n_comm);
    for i in 0..n_comm {
        let mut rng = Rng::derive(seed, S_COMMISSIONER, i as u64);
        let c = sample_commissioner(&v, &mut rng);
        let (name, organization, expertise) = text::commissioner_text(&v, &c, rng);
        let id = cid(i as u32);
        line(
            &mut out,
            &CommissionerLine {
                kind: "commissioner",
                id: &id,
                name: &name,
                organization: &organization,
                districts: district_names(&c.districts),
                fields: field_codes(c.fields),
                expertise: &expertise,
                max_load: c.max_load,
            },
        )?;
        commissioners.push(c);
    }
    summary.commissioners = n_comm;

    // Enterprises.
    let mut enterprises: Vec<Enterprise> = Vec::with_capacity(n_ent);
    for i in 0..n_ent {
        let mut rng = Rng::derive(seed, S_ENTERPRISE, i as u64);
        let e = sample_enterprise(&v, &mut rng);
        let omit_fields = rng.chance(0.04);
        let t = text::enterprise_text(&v, &e, Rng::derive(seed, S_ENTERPRISE_TEXT, i as u64));
        let id = eid(i as u32);
        line(
            &mut out,
            &EnterpriseLine {
                kind: "enterprise",
                id: &id,
                name: &t.name,
                credit_code: &t.credit_code,
                district: DISTRICTS[e.district as usize].name,
                fields: if omit_fields {
                    Vec::new()
                } else {
                    field_codes(e.fields)
                },
                keywords: &t.keywords,
                description: &t.description,
                founded: t.founded,
                employees: t.employees,
                certifications: &t.certifications,
            },
        )?;
        enterprises.push(e);
    }
    summary.enterprises = n_ent;

    // Needs, grouped by enterprise.
    let mut per_ent = vec![0u32; n_ent];
    {
        let mut rng = Rng::derive(seed, S_NEED_ASSIGN, 0);
        let w: Vec<f64> = (0..n_ent).map(|_| 0.3 + rng.f64()).collect();
        let total: f64 = w.iter().sum();
        let mut cum = Vec::with_capacity(n_ent);
        let mut acc = 0.0;
        for x in &w {
            acc += x / total;
            cum.push(acc);
        }
        for _ in 0..n_need {
            let x = rng.f64();
            let e = cum.partition_point(|&c| c < x).min(n_ent - 1);
            per_ent[e] += 1;
        }
    }
    let first_day = days_from_civil(2024, 6, 1);
    let last_day = days_from_civil(2026, 6, 30);
    let mut needs: Vec<Need> = Vec::with_capacity(n_need);
    let mut ni: u32 = 0;
    for (ei, &count) in per_ent.iter().enumerate() {
        for _ in 0..count {
            let mut rng = Rng::derive(seed, S_NEED, u64::from(ni));
            let day = rng.range(first_day, last_day);
            let created = day * 86_400 + rng.range(8 * 3600, 22 * 3600);
            let mut n = sample_need(&v, &mut rng, &enterprises[ei], created);
            let budget = budget_for(&mut rng, n.service);
            let old = day < days_from_civil(2025, 6, 1);
            let x = rng.f64();
            let status = if old {
                if x < 0.45 {
                    "open"
                } else if x < 0.8 {
                    "matched"
                } else {
                    "closed"
                }
            } else if x < 0.8 {
                "open"
            } else if x < 0.95 {
                "matched"
            } else {
                "closed"
            };
            if status == "open" {
                enterprises[ei].open_need = true;
            }
            let deadline = deadline_for(&mut rng, day);
            let mut w = text::Writer::new(&v, Rng::derive(seed, S_NEED_TEXT, u64::from(ni)));
            let (title, description) = text::need_text(&mut w, &n, budget);
            n.terms = std::mem::take(&mut w.terms);
            let id = nid(ni);
            let ent_id = eid(ei as u32);
            line(
                &mut out,
                &NeedLine {
                    kind: "need",
                    id: &id,
                    enterprise_id: &ent_id,
                    title: &title,
                    description: &description,
                    service: SERVICES[n.service as usize],
                    fields: field_codes(n.stated_fields),
                    district: DISTRICTS[n.district as usize].name,
                    budget_wan: budget,
                    deadline: &deadline,
                    status,
                },
            )?;
            needs.push(n);
            ni += 1;
        }
    }
    summary.needs = needs.len();

    // Which needs have feedback (the rest are held out for evaluation).
    let has_feedback: Vec<bool> = (0..needs.len())
        .map(|i| Rng::derive(seed, S_SPLIT, i as u64).chance(FEEDBACK_SHARE))
        .collect();

    // Feedback on needs.
    let mut ranker = LegacyRanker::new(&providers);
    for (i, n) in needs.iter().enumerate() {
        if !has_feedback[i] {
            continue;
        }
        let mut rng = Rng::derive(seed, S_FEEDBACK, i as u64);
        let evs = simulate_need(&v, &providers, &mut ranker, n, &mut rng);
        let need_id = nid(i as u32);
        for e in &evs {
            let prov = pid(e.other);
            let shown = e.rank > 0;
            line(
                &mut out,
                &FeedbackLine {
                    kind: "feedback",
                    need_id: Some(&need_id),
                    provider_id: Some(&prov),
                    event: EVENTS[e.event as usize],
                    actor: ACTORS[e.actor as usize],
                    at: fmt_ts(e.at),
                    rank: shown.then_some(e.rank),
                    reason: (e.reason > 0).then_some(REASONS[e.reason as usize]),
                    ranker: shown.then_some("legacy"),
                    ..Default::default()
                },
            )?;
            summary.feedback += 1;
        }
    }

    // Commissioners: a judged set (held out) and outreach feedback for the others.
    let mut by_district: Vec<Vec<u32>> = vec![Vec::new(); DISTRICTS.len()];
    let mut by_field: Vec<Vec<u32>> = vec![Vec::new(); 8];
    for (i, e) in enterprises.iter().enumerate() {
        by_district[e.district as usize].push(i as u32);
        for (f, list) in by_field.iter_mut().enumerate() {
            if e.fields & (1 << f) != 0 {
                list.push(i as u32);
            }
        }
    }
    let n_judged_comm = scaled(40.0, scale).min(n_comm);
    let mut comm_order: Vec<usize> = (0..n_comm).collect();
    Rng::derive(seed, S_JUDGE, 1).shuffle(&mut comm_order);
    let mut comm_judged = vec![false; n_comm];
    for &c in comm_order.iter().take(n_judged_comm) {
        comm_judged[c] = true;
    }
    for (i, c) in commissioners.iter().enumerate() {
        if comm_judged[i] {
            continue;
        }
        let mut rng = Rng::derive(seed, S_OUTREACH, i as u64);
        let cands = commissioner_candidates(c, &enterprises, &by_district);
        let k = rng.range(1, i64::from(c.max_load)) as usize;
        let evs = simulate_outreach(&cands, &enterprises, k, ACTOR_COMMISSIONER, &mut rng);
        let comm_id = cid(i as u32);
        write_outreach(&mut out, &evs, Some(&comm_id), None, &mut summary)?;
    }
    for (i, p) in providers.iter().enumerate() {
        if !is_broker(p) {
            continue;
        }
        let mut rng = Rng::derive(seed, S_OUTREACH, 1_000_000_000 + i as u64);
        if !rng.chance(0.3) {
            continue;
        }
        let cands = broker_candidates(p, &enterprises, &by_district);
        let k = rng.range(1, 4) as usize;
        let evs = simulate_outreach(&cands, &enterprises, k, ACTOR_BROKER, &mut rng);
        let broker_id = pid(i as u32);
        write_outreach(&mut out, &evs, None, Some(&broker_id), &mut summary)?;
    }
    out.flush()?;
    drop(out);

    // Judgments (a): held-out needs, graded over all providers by true fit.
    let n_judged_needs = scaled(300.0, scale);
    let mut held: Vec<usize> = (0..needs.len()).filter(|&i| !has_feedback[i]).collect();
    let mut jrng = Rng::derive(seed, S_JUDGE, 0);
    jrng.shuffle(&mut held);
    let mut judged: Vec<(usize, Vec<(u32, u8)>)> = Vec::new();
    for &i in &held {
        if judged.len() >= n_judged_needs {
            break;
        }
        let graded = grade_providers(&v, &providers, &Spec::of(&needs[i]), &mut jrng);
        if graded.iter().any(|g| g.1 >= 2) {
            judged.push((i, graded));
        }
    }
    judged.sort_by_key(|x| x.0);
    for (i, graded) in &judged {
        let need_id = nid(*i as u32);
        for &(p, g) in graded {
            let prov = pid(p);
            line(
                &mut jout,
                &NeedJudgment {
                    need_id: &need_id,
                    provider_id: &prov,
                    grade: g,
                },
            )?;
            summary.judgments += 1;
        }
    }

    // Judgments (b): free-text queries written from hidden need-like specs.
    let n_queries = ((60.0 * scale.min(1.0)).round() as usize).max(1);
    let mut qrng = Rng::derive(seed, S_QUERY, 0);
    let mut made = 0usize;
    let mut attempts = 0usize;
    while made < n_queries && attempts < n_queries * 20 {
        attempts += 1;
        let (query, spec) = text::query_text(&v, &mut qrng);
        let graded = grade_providers(&v, &providers, &spec, &mut qrng);
        if !graded.iter().any(|g| g.1 >= 2) {
            continue;
        }
        made += 1;
        let query_id = format!("DQ-{made:03}");
        for &(p, g) in &graded {
            let prov = pid(p);
            line(
                &mut jout,
                &QueryJudgment {
                    query: &query,
                    query_id: &query_id,
                    provider_id: &prov,
                    grade: g,
                },
            )?;
            summary.judgments += 1;
        }
    }

    // Judgments (c): commissioners → enterprises.
    let mut judged_comms: Vec<usize> = comm_order.iter().take(n_judged_comm).copied().collect();
    judged_comms.sort_unstable();
    for ci in judged_comms {
        let c = &commissioners[ci];
        let mut rng = Rng::derive(seed, S_JUDGE, 100 + ci as u64);
        let mut g3 = Vec::new();
        let mut g2 = Vec::new();
        let mut g1 = Vec::new();
        for &d in &c.districts {
            for &e in &by_district[d as usize] {
                let ent = &enterprises[e as usize];
                if ent.fields & c.fields != 0 {
                    if ent.open_need {
                        g3.push(e);
                    } else {
                        g2.push(e);
                    }
                } else {
                    g1.push(e);
                }
            }
        }
        let mut field_only = Vec::new();
        for f in 0..8 {
            if c.fields & (1 << f) != 0 {
                for &e in &by_field[f] {
                    if !c.districts.contains(&enterprises[e as usize].district) {
                        field_only.push(e);
                    }
                }
            }
        }
        field_only.sort_unstable();
        field_only.dedup();
        let comm_id = cid(ci as u32);
        let mut emit = |list: &[u32], k: usize, g: u8, rng: &mut Rng| -> io::Result<()> {
            let mut picked: Vec<u32> = rng
                .sample(list.len(), k)
                .into_iter()
                .map(|i| list[i])
                .collect();
            picked.sort_unstable();
            for e in picked {
                let ent_id = eid(e);
                line(
                    &mut jout,
                    &CommissionerJudgment {
                        commissioner_id: &comm_id,
                        enterprise_id: &ent_id,
                        grade: g,
                    },
                )?;
                summary.judgments += 1;
            }
            Ok(())
        };
        emit(&g3, 30, 3, &mut rng)?;
        emit(&g2, 20, 2, &mut rng)?;
        emit(&g1, 8, 1, &mut rng)?;
        emit(&field_only, 8, 1, &mut rng)?;
    }
    jout.flush()?;
    Ok(summary)
}

fn write_outreach(
    out: &mut dyn Write,
    evs: &[Ev],
    commissioner_id: Option<&str>,
    broker_id: Option<&str>,
    summary: &mut DemoSummary,
) -> io::Result<()> {
    for e in evs {
        let ent = eid(e.other);
        line(
            out,
            &FeedbackLine {
                kind: "feedback",
                commissioner_id,
                broker_id,
                enterprise_id: Some(&ent),
                event: EVENTS[e.event as usize],
                actor: ACTORS[e.actor as usize],
                at: fmt_ts(e.at),
                ..Default::default()
            },
        )?;
        summary.feedback += 1;
    }
    Ok(())
}

fn budget_for(rng: &mut Rng, service: u8) -> u32 {
    let (lo, hi) = match service {
        0 => (30.0, 300.0),
        1 => (20.0, 500.0),
        2 => (20.0, 300.0),
        3 => (3.0, 40.0),
        4 => (2.0, 20.0),
        6 => (3.0, 30.0),
        7 => (100.0, 2000.0),
        _ => (5.0, 50.0),
    };
    // log-uniform
    let x: f64 = (lo as f64).ln() + rng.f64() * ((hi as f64).ln() - (lo as f64).ln());
    let b = x.exp();
    if b >= 50.0 {
        ((b / 10.0).round() * 10.0) as u32
    } else if b >= 10.0 {
        ((b / 5.0).round() * 5.0) as u32
    } else {
        b.round().max(1.0) as u32
    }
}

fn deadline_for(rng: &mut Rng, created_day: i64) -> String {
    let (y, m, _) = civil_from_days(created_day);
    let mut months = y * 12 + (m - 1) + rng.range(3, 18);
    months = months.clamp(2026 * 12, 2027 * 12 + 11);
    let (yy, mm) = (months / 12, months % 12 + 1);
    let day = if rng.chance(0.7) {
        // last day of the month
        days_from_civil(
            if mm == 12 { yy + 1 } else { yy },
            if mm == 12 { 1 } else { mm + 1 },
            1,
        ) - 1
    } else {
        days_from_civil(yy, mm, 15)
    };
    fmt_date(day)
}
