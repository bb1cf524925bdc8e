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

use crate::domain::Service;
use feedback::{
    ACTOR_BROKER, ACTOR_COMMISSIONER, Ev, LegacyRanker, REASONS, broker_candidates,
    commissioner_candidates, grade_providers, is_broker, simulate_need, simulate_outreach,
};
use rng::Rng;
use vocab::DISTRICTS;
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
                    service: Service::ALL[n.service as usize].code(),
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
                    event: feedback::event_code(e.event),
                    actor: feedback::actor_code(e.actor),
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
    let mut prov_by_field: Vec<Vec<u32>> = vec![Vec::new(); 8];
    for (i, p) in providers.iter().enumerate() {
        for (f, list) in prov_by_field.iter_mut().enumerate() {
            if p.fields & (1 << f) != 0 {
                list.push(i as u32);
            }
        }
    }
    let n_judged_needs = scaled(300.0, scale);
    let mut held: Vec<usize> = (0..needs.len()).filter(|&i| !has_feedback[i]).collect();
    let mut jrng = Rng::derive(seed, S_JUDGE, 0);
    jrng.shuffle(&mut held);
    let mut judged: Vec<(usize, Vec<(u32, u8)>)> = Vec::new();
    for &i in &held {
        if judged.len() >= n_judged_needs {
            break;
        }
        let graded = grade_providers(
            &v,
            &providers,
            &prov_by_field,
            &Spec::of(&needs[i]),
            &mut jrng,
        );
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
        let graded = grade_providers(&v, &providers, &prov_by_field, &spec, &mut qrng);
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
        for (f, list) in by_field.iter().enumerate() {
            if c.fields & (1 << f) != 0 {
                for &e in list {
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
                event: feedback::event_code(e.event),
                actor: feedback::actor_code(e.actor),
                at: fmt_ts(e.at),
                ..Default::default()
            },
        )?;
        summary.feedback += 1;
    }
    Ok(())
}

fn budget_for(rng: &mut Rng, service: u8) -> u32 {
    let (lo, hi): (f64, f64) = match service {
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
    let x: f64 = lo.ln() + rng.f64() * (hi.ln() - lo.ln());
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::{HashMap, HashSet};

    fn generate(seed: u64, scale: f64) -> (String, String, DemoSummary) {
        let mut e = Vec::new();
        let mut j = Vec::new();
        let s = write_world(&DemoConfig { seed, scale }, &mut e, &mut j).unwrap();
        (
            String::from_utf8(e).unwrap(),
            String::from_utf8(j).unwrap(),
            s,
        )
    }

    fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("missing string `{k}` in {v}"))
    }

    fn strs(v: &Value, k: &str) -> Vec<String> {
        v.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    }

    fn bigrams(s: &str) -> HashSet<(char, char)> {
        let cs: Vec<char> = s.chars().filter(|c| !c.is_ascii_punctuation()).collect();
        cs.windows(2).map(|w| (w[0], w[1])).collect()
    }

    fn jaccard(a: &HashSet<(char, char)>, b: &HashSet<(char, char)>) -> f64 {
        let inter = a.intersection(b).count() as f64;
        let union = (a.len() + b.len()) as f64 - inter;
        if union == 0.0 { 0.0 } else { inter / union }
    }

    #[test]
    fn deterministic_for_a_seed() {
        let a = generate(7, 0.1);
        let b = generate(7, 0.1);
        assert_eq!(a.0, b.0);
        assert_eq!(a.1, b.1);
        let c = generate(8, 0.1);
        assert_ne!(a.0, c.0);
    }

    #[test]
    fn scale_point_one_works() {
        let (e, j, s) = generate(42, 0.1);
        assert_eq!(
            (s.enterprises, s.needs, s.providers, s.commissioners),
            (200, 300, 60, 15)
        );
        assert_eq!(e.lines().count(), 200 + 300 + 60 + 15 + s.feedback);
        assert_eq!(j.lines().count(), s.judgments);
        assert!(s.feedback > 0 && s.judgments > 0);
    }

    #[test]
    fn world_is_well_formed_at_scale_one() {
        let (e, j, s) = generate(42, 1.0);
        assert_eq!(
            (s.enterprises, s.needs, s.providers, s.commissioners),
            (2000, 3000, 600, 150)
        );
        let districts: HashSet<&str> = DISTRICTS.iter().map(|d| d.name).collect();
        let outside: HashSet<&str> = vocab::OUTSIDE.iter().map(|o| o.0).collect();
        let fields: HashSet<&str> = crate::domain::Field::ALL.iter().map(|f| f.code()).collect();
        let services: HashSet<&str> = Service::ALL.iter().map(|s| s.code()).collect();
        let quals: HashSet<&str> = [
            "national_tech_transfer_agency",
            "municipal_tech_transfer_agency",
            "municipal_pilot_platform",
            "cma",
            "cnas",
            "patent_agency",
            "broker_junior",
            "broker_intermediate",
            "broker_senior",
        ]
        .into_iter()
        .collect();
        let certs: HashSet<&str> = [
            "tech_sme",
            "high_tech",
            "high_tech_candidate",
            "specialized",
            "star_reserve",
        ]
        .into_iter()
        .collect();
        let order = |k: &str| match k {
            "provider" => 0,
            "commissioner" => 1,
            "enterprise" => 2,
            "need" => 3,
            "feedback" => 4,
            other => panic!("unknown kind {other}"),
        };
        let mut last = 0;
        let mut ids: HashSet<String> = HashSet::new();
        let mut texts: HashMap<String, String> = HashMap::new();
        let mut need_fb: HashMap<String, usize> = HashMap::new();
        let mut needs_without_fields = 0;
        let mut pair_events: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
        let mut services_seen: HashMap<String, usize> = HashMap::new();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        let mut outreach = 0;
        for l in e.lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            let kind = str_of(&v, "kind");
            let o = order(kind);
            assert!(o >= last, "order broken at {l}");
            last = o;
            *counts
                .entry(match kind {
                    "provider" => "provider",
                    "commissioner" => "commissioner",
                    "enterprise" => "enterprise",
                    "need" => "need",
                    _ => "feedback",
                })
                .or_default() += 1;
            if kind != "feedback" {
                let id = str_of(&v, "id").to_string();
                assert!(id.len() <= 64);
                assert!(ids.insert(id.clone()), "duplicate id {id}");
                for f in strs(&v, "fields") {
                    assert!(fields.contains(f.as_str()), "{f}");
                }
            }
            match kind {
                "provider" => {
                    let id = str_of(&v, "id");
                    assert!(id.starts_with("P-") && id.len() == 7);
                    let t = str_of(&v, "provider_type");
                    let cap = v["capacity"].as_u64().unwrap();
                    match t {
                        "pilot_platform" => assert!((3..=10).contains(&cap)),
                        "transfer_agency" => assert!((5..=20).contains(&cap)),
                        "broker" => assert!((2..=8).contains(&cap)),
                        _ => panic!("{t}"),
                    }
                    let d = str_of(&v, "district");
                    assert!(
                        districts.contains(d) || outside.contains(d) || d == "全市",
                        "{d}"
                    );
                    for d in strs(&v, "served_districts") {
                        assert!(districts.contains(d.as_str()) || d == "全市", "{d}");
                    }
                    let svcs = strs(&v, "services");
                    assert!(!svcs.is_empty());
                    for x in svcs {
                        assert!(services.contains(x.as_str()));
                    }
                    for q in strs(&v, "qualifications") {
                        assert!(quals.contains(q.as_str()), "{q}");
                    }
                    assert!(!str_of(&v, "name").is_empty());
                    let text = format!(
                        "{}{}{}",
                        str_of(&v, "name"),
                        str_of(&v, "description"),
                        strs(&v, "keywords").join("")
                    );
                    texts.insert(id.to_string(), text);
                }
                "commissioner" => {
                    assert!(str_of(&v, "id").starts_with("C-"));
                    assert!(!str_of(&v, "name").is_empty());
                    let ds = strs(&v, "districts");
                    assert!((1..=3).contains(&ds.len()));
                    for d in ds {
                        assert!(districts.contains(d.as_str()));
                    }
                    assert!((1..=2).contains(&strs(&v, "fields").len()));
                    let ml = v["max_load"].as_u64().unwrap();
                    assert!((5..=12).contains(&ml));
                    assert!(!str_of(&v, "expertise").is_empty());
                }
                "enterprise" => {
                    assert!(str_of(&v, "id").starts_with("E-"));
                    assert!(!str_of(&v, "name").is_empty());
                    let cc = str_of(&v, "credit_code");
                    assert_eq!(cc.len(), 18);
                    assert!(cc.starts_with("9150"));
                    assert_eq!(
                        text::credit_check(&cc.as_bytes()[..17]),
                        cc.as_bytes()[17] as char
                    );
                    assert!(districts.contains(str_of(&v, "district")));
                    for c in strs(&v, "certifications") {
                        assert!(certs.contains(c.as_str()));
                    }
                }
                "need" => {
                    let id = str_of(&v, "id");
                    assert!(id.starts_with("N-") && id.len() == 8);
                    let ent = str_of(&v, "enterprise_id");
                    assert!(ids.contains(ent), "need before its enterprise: {ent}");
                    assert!(services.contains(str_of(&v, "service")));
                    *services_seen
                        .entry(str_of(&v, "service").to_string())
                        .or_default() += 1;
                    assert!(["open", "matched", "closed"].contains(&str_of(&v, "status")));
                    let dl = str_of(&v, "deadline");
                    assert!(dl.starts_with("2026-") || dl.starts_with("2027-"), "{dl}");
                    assert!(districts.contains(str_of(&v, "district")));
                    assert!(v["budget_wan"].as_u64().unwrap() > 0);
                    if v.get("fields").is_none() {
                        needs_without_fields += 1;
                    }
                    texts.insert(
                        id.to_string(),
                        format!("{}{}", str_of(&v, "title"), str_of(&v, "description")),
                    );
                }
                _ => {
                    let ev = str_of(&v, "event");
                    assert!(crate::domain::FeedbackEvent::parse(ev).is_ok(), "{ev}");
                    assert!(crate::domain::Actor::parse(str_of(&v, "actor")).is_ok());
                    let at = str_of(&v, "at");
                    assert!(at.ends_with("+08:00") && at.len() == 25, "{at}");
                    assert!(("2024-06"..="2026-11-31").contains(&&at[..10]), "{at}");
                    if let Some(r) = v.get("rank") {
                        assert!((1..=10).contains(&r.as_u64().unwrap()));
                        assert_eq!(str_of(&v, "ranker"), "legacy");
                    }
                    if let Some(r) = v.get("reason") {
                        assert!(feedback::REASONS[1..].contains(&r.as_str().unwrap()));
                        assert_eq!(ev, "rejected");
                    }
                    if let Some(n) = v.get("need_id") {
                        let n = n.as_str().unwrap();
                        let p = str_of(&v, "provider_id");
                        assert!(ids.contains(n) && ids.contains(p));
                        *need_fb.entry(n.to_string()).or_default() += 1;
                        pair_events
                            .entry((n.to_string(), p.to_string()))
                            .or_default()
                            .push((ev.to_string(), at.to_string()));
                    } else {
                        let ent = str_of(&v, "enterprise_id");
                        assert!(ids.contains(ent));
                        let who = v
                            .get("commissioner_id")
                            .or_else(|| v.get("broker_id"))
                            .and_then(Value::as_str)
                            .unwrap();
                        assert!(ids.contains(who));
                        outreach += 1;
                    }
                }
            }
        }
        assert_eq!(counts["feedback"], s.feedback);
        assert!(outreach > 0);
        // Needs without fields: about 10%.
        assert!(
            (150..=450).contains(&needs_without_fields),
            "{needs_without_fields}"
        );
        // Service distribution: pilot_scale dominant.
        let pilot = services_seen["pilot_scale"] as f64 / 3000.0;
        assert!((0.33..0.47).contains(&pilot), "{pilot}");
        // Feedback volume per feedback need.
        let per_need = need_fb.values().sum::<usize>() as f64 / need_fb.len() as f64;
        assert!((20.0..=40.0).contains(&per_need), "{per_need}");
        assert!((1900..=2300).contains(&need_fb.len()), "{}", need_fb.len());
        // Causal order per pair.
        let stage = |e: &str| match e {
            "contacted" => 1,
            "accepted" | "rejected" => 2,
            "deal" => 3,
            _ => 0,
        };
        for evs in pair_events.values() {
            let mut last_stage = 0;
            let mut last_at = String::new();
            for (e, at) in evs {
                assert!(*at >= last_at, "{evs:?}");
                if stage(e) > 0 {
                    assert!(stage(e) > last_stage, "{evs:?}");
                    last_stage = stage(e);
                }
                last_at = at.clone();
            }
        }
        // Judgments.
        let mut n_need_j = 0;
        let mut n_query = HashSet::new();
        let mut n_comm = HashSet::new();
        let mut grade3: HashMap<String, Vec<String>> = HashMap::new();
        for l in j.lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            let g = v["grade"].as_u64().unwrap();
            assert!((1..=3).contains(&g));
            if let Some(n) = v.get("need_id") {
                let n = n.as_str().unwrap();
                let p = str_of(&v, "provider_id");
                assert!(ids.contains(n) && ids.contains(p));
                assert!(!need_fb.contains_key(n), "judged need {n} has feedback");
                n_need_j += 1;
                if g == 3 {
                    grade3.entry(n.to_string()).or_default().push(p.to_string());
                }
            } else if let Some(q) = v.get("query_id") {
                assert!(!str_of(&v, "query").is_empty());
                assert!(ids.contains(str_of(&v, "provider_id")));
                n_query.insert(q.as_str().unwrap().to_string());
            } else {
                assert!(ids.contains(str_of(&v, "commissioner_id")));
                assert!(ids.contains(str_of(&v, "enterprise_id")));
                n_comm.insert(str_of(&v, "commissioner_id").to_string());
            }
        }
        assert!(n_need_j > 0);
        assert_eq!(n_query.len(), 60);
        assert!(n_comm.len() >= 35, "{}", n_comm.len());
        assert!(grade3.len() >= 200, "{}", grade3.len());
        // A need and its best providers share few words.
        let mut sum = 0.0;
        let mut n = 0.0;
        for (need, provs) in &grade3 {
            let a = bigrams(&texts[need]);
            for p in provs {
                sum += jaccard(&a, &bigrams(&texts[p]));
                n += 1.0;
            }
        }
        let mean = sum / n;
        assert!(mean < 0.15, "mean bigram Jaccard {mean}");
    }

    #[test]
    #[ignore = "timing report; run with --release -- --ignored --nocapture"]
    fn timing_report() {
        for scale in [1.0, 10.0] {
            let t = std::time::Instant::now();
            let mut e = Vec::new();
            let mut j = Vec::new();
            let s = write_world(&DemoConfig { seed: 42, scale }, &mut e, &mut j).unwrap();
            println!(
                "scale {scale}: {:?}, entities {} bytes, judgments {} bytes, {s:?}",
                t.elapsed(),
                e.len(),
                j.len()
            );
        }
    }
}
