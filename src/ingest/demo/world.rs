//! The hidden structure of the demo world: compact records (indices, bitmasks, topic ids — no
//! text), how they are sampled, and the ground-truth fit between a need and a provider.
//!
//! Text is rendered from these records by `text.rs`; only the compact records are kept in
//! memory, so the world can be generated at large scales while streaming its JSON lines.

use super::rng::Rng;
use super::vocab::{DISTRICTS, FIELD_AFFINITY, FIELD_WEIGHT, ORGS, OUTSIDE, TOPICS};
use crate::domain::{Districts, Field, ProviderType, Service};

/// Term-id spaces: a record's "terms" are the surface forms its text used (what a crude
/// word-overlap ranker can see).
pub(crate) const TERM_TOPIC: u16 = 0;
pub(crate) const TERM_OBJECT: u16 = 2000;
pub(crate) const TERM_SERVICE: u16 = 4000;

/// Grade thresholds on the true fit.
pub(crate) const T3: f64 = 0.62;
pub(crate) const T2: f64 = 0.45;
pub(crate) const T1: f64 = 0.25;

/// Parsed phrase banks and derived lookup tables.
pub(crate) struct Vocab {
    pub topics: Vec<Topic>,
    pub topics_by_field: [Vec<u16>; 8],
    pub svc_forms: Vec<Vec<&'static str>>,
    /// Neighbour bitmask per district.
    pub adj: Vec<u64>,
    /// Region per district (`vocab::region`).
    pub regions: Vec<u8>,
    pub prefixes: Vec<Vec<&'static str>>,
    pub outside_prefixes: Vec<Vec<&'static str>>,
    /// Enterprise district weights per primary field.
    pub district_weights: Vec<Vec<f64>>,
}

/// One topic of the taxonomy.
pub(crate) struct Topic {
    pub field: u8,
    /// Software or service rather than a physical product.
    pub software: bool,
    pub forms: Vec<&'static str>,
    pub objects: Vec<&'static str>,
    pub equip: Vec<&'static str>,
    pub problems: Vec<&'static str>,
}

pub(crate) fn split(s: &'static str) -> Vec<&'static str> {
    s.split('/').collect()
}

fn district_index(short: &str) -> Option<usize> {
    DISTRICTS.iter().position(|d| d.short == short)
}

impl Vocab {
    pub(crate) fn new() -> Self {
        let topics: Vec<Topic> = TOPICS
            .iter()
            .map(|t| Topic {
                field: t.0 as u8,
                software: super::vocab::SOFTWARE_TOPICS
                    .contains(&t.1.split('/').next().unwrap_or("")),
                forms: split(t.1),
                objects: split(t.2),
                equip: split(t.3),
                problems: split(t.4),
            })
            .collect();
        let mut topics_by_field: [Vec<u16>; 8] = Default::default();
        for (i, t) in topics.iter().enumerate() {
            topics_by_field[t.field as usize].push(i as u16);
        }
        // Neighbours are the domain's (`domain/districts.txt`, symmetric).
        let adj: Vec<u64> = DISTRICTS
            .iter()
            .map(|d| {
                Districts::get().lookup(d.name).map_or(0, |known| {
                    known
                        .neighbours
                        .iter()
                        .filter_map(|n| DISTRICTS.iter().position(|x| x.name == *n))
                        .fold(0u64, |m, j| m | (1 << j))
                })
            })
            .collect();
        let mut district_weights = Vec::with_capacity(8);
        for f in 0..8 {
            let mut w: Vec<f64> = DISTRICTS.iter().map(|d| d.weight).collect();
            for &(ff, short, m) in FIELD_AFFINITY {
                if ff == f
                    && let Some(i) = district_index(short)
                {
                    w[i] *= m;
                }
            }
            district_weights.push(w);
        }
        Self {
            topics,
            topics_by_field,
            svc_forms: super::vocab::SERVICE_FORMS
                .iter()
                .map(|s| split(s))
                .collect(),
            adj,
            regions: DISTRICTS
                .iter()
                .map(|d| super::vocab::region(d.name))
                .collect(),
            prefixes: DISTRICTS.iter().map(|d| split(d.prefixes)).collect(),
            outside_prefixes: OUTSIDE.iter().map(|o| split(o.1)).collect(),
            district_weights,
        }
    }

    pub(crate) fn neighbours(&self, a: u8, b: u8) -> bool {
        self.adj[a as usize] & (1u64 << b) != 0
    }

    pub(crate) fn neighbour_list(&self, a: u8) -> Vec<u8> {
        (0..DISTRICTS.len() as u8)
            .filter(|&b| self.neighbours(a, b))
            .collect()
    }

    pub(crate) fn topic_field(&self, t: u16) -> u8 {
        self.topics[t as usize].field
    }

    /// A topic of field `f`, uniformly.
    pub(crate) fn topic_in(&self, rng: &mut Rng, f: u8) -> u16 {
        *rng.pick(&self.topics_by_field[f as usize])
    }
}

/// Where a provider is based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    District(u8),
    Citywide,
    Outside(u8),
}

impl Place {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Place::District(d) => DISTRICTS[d as usize].name,
            Place::Citywide => "全市",
            Place::Outside(o) => OUTSIDE[o as usize].0,
        }
    }
}

/// Provider kinds (data-model.md `provider_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PType {
    Pilot,
    Agency,
    Broker,
}

impl PType {
    /// The domain's provider type.
    pub(crate) fn provider_type(self) -> ProviderType {
        match self {
            PType::Pilot => ProviderType::PilotPlatform,
            PType::Agency => ProviderType::TransferAgency,
            PType::Broker => ProviderType::Broker,
        }
    }

    pub(crate) fn code(self) -> &'static str {
        self.provider_type().code()
    }
}

/// Agency sub-kinds (hidden; they decide services and wording).
pub(crate) const AGENCY_GENERAL: u8 = 0;
pub(crate) const AGENCY_UNIVERSITY: u8 = 1;
pub(crate) const AGENCY_IP: u8 = 2;
pub(crate) const AGENCY_FINANCE: u8 = 3;
pub(crate) const AGENCY_TESTING: u8 = 4;

/// A provider's hidden attributes.
#[derive(Clone, Debug)]
pub(crate) struct Provider {
    pub ptype: PType,
    pub subtype: u8,
    pub place: Place,
    /// Explicit served districts (besides the base district).
    pub served: Vec<u8>,
    /// `served_districts` includes 全市.
    pub served_all: bool,
    pub services: u8,
    pub fields: u8,
    pub topics: Vec<u16>,
    /// Surface-form term ids its text used (filled when rendering).
    pub terms: Vec<u16>,
    pub quality: f32,
    /// Load relative to capacity (hidden).
    pub load: f32,
    pub capacity: u8,
    pub popularity: f32,
    /// University/institute index for university agencies (`u8::MAX` if none).
    pub org: u8,
}

impl Provider {
    pub(crate) fn offers(&self, s: u8) -> bool {
        self.services & (1 << s) != 0
    }
}

/// An enterprise's hidden attributes.
#[derive(Clone, Debug)]
pub(crate) struct Enterprise {
    pub district: u8,
    pub topics: Vec<u16>,
    pub fields: u8,
    pub open_need: bool,
}

/// A need's hidden attributes.
#[derive(Clone, Debug)]
pub(crate) struct Need {
    pub topic: u16,
    pub service: u8,
    pub district: u8,
    /// 0 no location demand, 1 prefers nearby, 2 on-site / must be local.
    pub onsite: u8,
    /// Fields stated in the record (bitmask; 0 when `fields` is omitted).
    pub stated_fields: u8,
    /// Local timestamp (seconds since the Unix epoch, +08:00 wall clock) the need was posted.
    pub created: i64,
    pub terms: Vec<u16>,
}

/// A commissioner's hidden/visible attributes.
#[derive(Clone, Debug)]
pub(crate) struct Commissioner {
    pub org: u8,
    pub districts: Vec<u8>,
    pub fields: u8,
    pub max_load: u8,
}

/// What the ground truth is computed from: a need or a need-like query.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    pub topic: u16,
    pub service: u8,
    pub district: Option<u8>,
    pub onsite: u8,
}

impl Spec {
    pub(crate) fn of(n: &Need) -> Self {
        Self {
            topic: n.topic,
            service: n.service,
            district: Some(n.district),
            onsite: n.onsite,
        }
    }
}

/// Suitability of a provider type for a service it offers: [type][service].
const TYPE_SUIT: [[f64; 8]; 3] = [
    [1.0, 0.6, 0.8, 0.85, 0.4, 0.5, 0.7, 0.4],
    [0.55, 1.0, 0.95, 1.0, 1.0, 0.9, 0.95, 1.0],
    [0.45, 0.8, 0.6, 0.4, 0.7, 1.0, 0.75, 0.7],
];
/// How much geography matters per service.
const GEO_IMPORTANCE: [f64; 8] = [0.85, 0.3, 0.4, 0.55, 0.1, 0.45, 0.15, 0.2];
/// How much the exact technology matters per service.
const TOPIC_IMPORTANCE: [f64; 8] = [1.0, 0.85, 1.0, 0.8, 0.45, 0.6, 0.6, 0.25];

/// Whether only providers sharing the need's field can reach grade 1 for this service
/// (topic importance 1: another field's provider gets topic factor 0.12 < T1).
pub(crate) fn topic_decisive(service: u8) -> bool {
    TOPIC_IMPORTANCE[service as usize] >= 1.0
}

/// The factors of the ground-truth fit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fit {
    pub offered: bool,
    pub topic: f64,
    pub geo: f64,
    pub overloaded: bool,
    pub total: f64,
}

/// Raw geographic closeness of a provider to a district, in [0, 1].
pub(crate) fn geo_raw(v: &Vocab, d: u8, p: &Provider, onsite: u8) -> f64 {
    match p.place {
        Place::District(pd) if pd == d => 1.0,
        Place::District(pd) => {
            if p.served.contains(&d) || v.neighbours(pd, d) {
                0.85
            } else if v.regions[pd as usize] == v.regions[d as usize] {
                if p.served_all { 0.66 } else { 0.62 }
            } else if p.served_all {
                0.55
            } else {
                0.5
            }
        }
        Place::Citywide => {
            if p.served.contains(&d) {
                0.85
            } else {
                0.45
            }
        }
        Place::Outside(_) => {
            if onsite >= 2 {
                0.0
            } else {
                0.2
            }
        }
    }
}

/// The hidden ground truth: how well provider `p` serves a need with spec `s`, in [0, 1].
///
/// fit = type-suitability(service) × topic × geography × quality × capacity, where a provider
/// not offering the service is capped below grade 2 (brokers keep some partial value).
pub(crate) fn true_fit(v: &Vocab, s: &Spec, p: &Provider) -> Fit {
    let svc = s.service as usize;
    let offered = p.offers(s.service);
    let suit = if offered {
        TYPE_SUIT[p.ptype as usize][svc]
    } else if p.ptype == PType::Broker {
        0.45
    } else {
        0.2
    };
    let tf = v.topic_field(s.topic);
    let topic_raw = if p.topics.contains(&s.topic) {
        1.0
    } else if p.fields & (1 << tf) != 0 {
        0.55
    } else {
        0.12
    };
    let topic = 1.0 - TOPIC_IMPORTANCE[svc] * (1.0 - topic_raw);
    let geo = match s.district {
        Some(d) => {
            let imp = match s.onsite {
                0 => GEO_IMPORTANCE[svc],
                1 => GEO_IMPORTANCE[svc].max(0.8),
                _ => 1.0,
            };
            1.0 - imp * (1.0 - geo_raw(v, d, p, s.onsite))
        }
        None => 1.0,
    };
    let quality = 0.6 + 0.4 * f64::from(p.quality);
    let overloaded = p.load > 1.0;
    let cap = if overloaded {
        0.6
    } else {
        1.0 - 0.12 * f64::from(p.load)
    };
    let mut total = suit * topic * geo * quality * cap;
    if !offered {
        total = total.min(T2 - 0.01);
    }
    Fit {
        offered,
        topic: topic_raw,
        geo,
        overloaded,
        total: total.clamp(0.0, 1.0),
    }
}

/// Grade (0..=3) of a fit value.
pub(crate) fn grade(fit: f64) -> u8 {
    if fit >= T3 {
        3
    } else if fit >= T2 {
        2
    } else if fit >= T1 {
        1
    } else {
        0
    }
}

fn field_of(rng: &mut Rng) -> u8 {
    rng.weighted(&FIELD_WEIGHT) as u8
}

fn core_weighted_district(rng: &mut Rng, v: &Vocab, field: u8, core_boost: f64) -> u8 {
    let w: Vec<f64> = v.district_weights[field as usize]
        .iter()
        .zip(v.regions.iter())
        .map(|(&w, &r)| if r == 0 { w * core_boost } else { w })
        .collect();
    rng.weighted(&w) as u8
}

fn around(rng: &mut Rng, v: &Vocab, d: u8, extra: usize) -> Vec<u8> {
    let mut out = vec![d];
    let mut nb = v.neighbour_list(d);
    rng.shuffle(&mut nb);
    out.extend(nb.into_iter().take(extra));
    out
}

/// Samples provider `i`'s hidden attributes (terms are filled in by the renderer).
pub(crate) fn sample_provider(v: &Vocab, rng: &mut Rng) -> Provider {
    let ptype = match rng.weighted(&[35.0, 35.0, 30.0]) {
        0 => PType::Pilot,
        1 => PType::Agency,
        _ => PType::Broker,
    };
    let quality = (0.25 + 0.75 * (rng.f64() + rng.f64()) / 2.0) as f32;
    let load = rng.uniform(0.0, 1.3) as f32;
    let popularity = (0.5 * f64::from(quality) + 0.5 * rng.f64()) as f32;
    let mut services: u8 = 0;
    let mut topics: Vec<u16> = Vec::new();
    let mut fields: u8 = 0;
    let mut subtype = 0u8;
    let mut org = u8::MAX;
    let add = |s: &mut u8, svc: u8| *s |= 1 << svc;
    let primary = field_of(rng);
    match ptype {
        PType::Pilot => {
            add(&mut services, 0);
            if rng.chance(0.6) {
                add(&mut services, 3);
            }
            if rng.chance(0.2) {
                add(&mut services, 2);
            }
            if rng.chance(0.15) {
                add(&mut services, 6);
            }
            let k = rng.range(2, 4) as usize;
            let pool = &v.topics_by_field[primary as usize];
            for i in rng.sample(pool.len(), k) {
                topics.push(pool[i]);
            }
            if rng.chance(0.25) {
                let f2 = field_of(rng);
                let t = v.topic_in(rng, f2);
                if !topics.contains(&t) {
                    topics.push(t);
                }
            }
        }
        PType::Agency => {
            subtype = rng.weighted(&[30.0, 20.0, 15.0, 10.0, 15.0, 10.0]) as u8;
            let (nf, per_field) = match subtype {
                AGENCY_GENERAL => {
                    add(&mut services, 1);
                    if rng.chance(0.6) {
                        add(&mut services, 6);
                    }
                    if rng.chance(0.6) {
                        add(&mut services, 5);
                    }
                    if rng.chance(0.2) {
                        add(&mut services, 4);
                    }
                    (rng.range(3, 6), 2)
                }
                AGENCY_UNIVERSITY => {
                    add(&mut services, 1);
                    add(&mut services, 2);
                    if rng.chance(0.3) {
                        add(&mut services, 6);
                    }
                    if rng.chance(0.15) {
                        add(&mut services, 0);
                    }
                    org = rng.below(ORGS.len()) as u8;
                    (rng.range(2, 4), 2)
                }
                AGENCY_IP => {
                    add(&mut services, 4);
                    if rng.chance(0.5) {
                        add(&mut services, 1);
                    }
                    if rng.chance(0.3) {
                        add(&mut services, 6);
                    }
                    (rng.range(3, 6), 1)
                }
                AGENCY_FINANCE => {
                    add(&mut services, 7);
                    if rng.chance(0.6) {
                        add(&mut services, 6);
                    }
                    (rng.range(2, 5), 1)
                }
                AGENCY_TESTING => {
                    add(&mut services, 3);
                    if rng.chance(0.5) {
                        add(&mut services, 6);
                    }
                    (rng.range(2, 4), 2)
                }
                _ => {
                    add(&mut services, 6);
                    if rng.chance(0.5) {
                        add(&mut services, 2);
                    }
                    if rng.chance(0.4) {
                        add(&mut services, 1);
                    }
                    (rng.range(1, 3), 2)
                }
            };
            let mut fs: Vec<u8> = vec![primary];
            if org != u8::MAX {
                for &(f, _) in ORGS[org as usize].2 {
                    if fs.len() < nf as usize && !fs.contains(&(f as u8)) {
                        fs.push(f as u8);
                    }
                }
            }
            while fs.len() < nf as usize {
                let f = field_of(rng);
                if !fs.contains(&f) {
                    fs.push(f);
                }
            }
            for &f in &fs {
                fields |= 1 << f;
                let k = rng.range(1, per_field) as usize;
                let pool = &v.topics_by_field[f as usize];
                for i in rng.sample(pool.len(), k) {
                    topics.push(pool[i]);
                }
            }
        }
        PType::Broker => {
            add(&mut services, 5);
            let extra = [1u8, 6, 2, 4, 7];
            let k = rng.range(1, 2) as usize;
            for i in rng.sample(extra.len(), k) {
                add(&mut services, extra[i]);
            }
            let mut fs = vec![primary];
            if rng.chance(0.5) {
                let f = field_of(rng);
                if f != primary {
                    fs.push(f);
                }
            }
            let k = rng.range(2, 4) as usize;
            for _ in 0..k {
                let f = *rng.pick(&fs);
                let t = v.topic_in(rng, f);
                if !topics.contains(&t) {
                    topics.push(t);
                }
            }
        }
    }
    for &t in &topics {
        fields |= 1 << v.topic_field(t);
    }
    // Location.
    let x = rng.f64();
    let (place, served, served_all) = match ptype {
        PType::Pilot => {
            if x < 0.05 {
                (
                    Place::Outside(rng.below(OUTSIDE.len()) as u8),
                    vec![],
                    false,
                )
            } else {
                let d = core_weighted_district(rng, v, primary, 0.8);
                (Place::District(d), vec![], false)
            }
        }
        PType::Agency => {
            if x < 0.04 {
                (
                    Place::Outside(rng.below(OUTSIDE.len()) as u8),
                    vec![],
                    false,
                )
            } else if x < 0.09 {
                (Place::Citywide, vec![], true)
            } else {
                let home = DISTRICTS
                    .iter()
                    .position(|d| org != u8::MAX && d.short == ORGS[org as usize].1);
                let d = match home {
                    Some(h) if rng.chance(0.8) => h as u8,
                    _ => core_weighted_district(rng, v, primary, 2.0),
                };
                let y = rng.f64();
                if y < 0.5 {
                    (Place::District(d), vec![], true)
                } else if y < 0.8 {
                    let extra = rng.range(2, 5) as usize;
                    (Place::District(d), around(rng, v, d, extra), false)
                } else {
                    (Place::District(d), vec![], false)
                }
            }
        }
        PType::Broker => {
            if x < 0.02 {
                (
                    Place::Outside(rng.below(OUTSIDE.len()) as u8),
                    vec![],
                    false,
                )
            } else if x < 0.05 {
                (Place::Citywide, vec![], true)
            } else {
                let d = core_weighted_district(rng, v, primary, 1.0);
                let y = rng.f64();
                if y < 0.7 {
                    let extra = rng.range(2, 4) as usize;
                    (Place::District(d), around(rng, v, d, extra), false)
                } else if y < 0.85 {
                    (Place::District(d), vec![], true)
                } else {
                    (Place::District(d), vec![], false)
                }
            }
        }
    };
    let capacity = match ptype {
        PType::Pilot => rng.range(3, 10),
        PType::Agency => rng.range(5, 20),
        PType::Broker => rng.range(2, 8),
    } as u8;
    Provider {
        ptype,
        subtype,
        place,
        served,
        served_all,
        services,
        fields,
        topics,
        terms: Vec::new(),
        quality,
        load,
        capacity,
        popularity,
        org,
    }
}

/// Samples an enterprise's hidden attributes.
pub(crate) fn sample_enterprise(v: &Vocab, rng: &mut Rng) -> Enterprise {
    let f = field_of(rng);
    let mut topics = vec![v.topic_in(rng, f)];
    if rng.chance(0.35) {
        let f2 = if rng.chance(0.6) { f } else { field_of(rng) };
        let t = v.topic_in(rng, f2);
        if !topics.contains(&t) {
            topics.push(t);
        }
    }
    let mut fields = 0u8;
    for &t in &topics {
        fields |= 1 << v.topic_field(t);
    }
    let district = rng.weighted(&v.district_weights[f as usize]) as u8;
    Enterprise {
        district,
        topics,
        fields,
        open_need: false,
    }
}

/// Samples a need of enterprise `e` (index `ent`); terms are filled in by the renderer.
pub(crate) fn sample_need(v: &Vocab, rng: &mut Rng, e: &Enterprise, created: i64) -> Need {
    let topic = if rng.chance(0.85) {
        *rng.pick(&e.topics)
    } else {
        let t0 = e.topics[0];
        v.topic_in(rng, v.topic_field(t0))
    };
    let mut service = rng.weighted(&super::vocab::NEED_SERVICE_WEIGHT) as u8;
    if service == 0 && v.topics[topic as usize].software && rng.chance(0.6) {
        let mut w = super::vocab::NEED_SERVICE_WEIGHT;
        w[0] = 0.0;
        service = rng.weighted(&w) as u8;
    }
    let district = if rng.chance(0.95) {
        e.district
    } else {
        rng.weighted(&v.district_weights[v.topic_field(topic) as usize]) as u8
    };
    let (p_must, p_pref) = match service {
        0 => (0.2, 0.25),
        3 => (0.08, 0.12),
        2 => (0.05, 0.1),
        _ => (0.02, 0.04),
    };
    let x = rng.f64();
    let onsite = if x < p_must {
        2
    } else if x < p_must + p_pref {
        1
    } else {
        0
    };
    let stated_fields = if rng.chance(0.1) {
        0
    } else {
        let mut m = 1u8 << v.topic_field(topic);
        if rng.chance(0.3) {
            m |= e.fields;
        }
        m
    };
    Need {
        topic,
        service,
        district,
        onsite,
        stated_fields,
        created,
        terms: Vec::new(),
    }
}

/// Samples a commissioner.
pub(crate) fn sample_commissioner(v: &Vocab, rng: &mut Rng) -> Commissioner {
    let w: Vec<f64> = ORGS
        .iter()
        .enumerate()
        .map(|(i, _)| if i < 6 { 3.0 } else { 1.0 })
        .collect();
    let org = rng.weighted(&w) as u8;
    let colleges = ORGS[org as usize].2;
    let mut fields = 1u8 << colleges[rng.below(colleges.len())].0;
    if rng.chance(0.4) {
        fields |= 1 << colleges[rng.below(colleges.len())].0;
    }
    let home = DISTRICTS
        .iter()
        .position(|d| d.short == ORGS[org as usize].1)
        .unwrap_or(0) as u8;
    let first = if rng.chance(0.4) {
        home
    } else {
        let f = fields.trailing_zeros() as usize;
        rng.weighted(&v.district_weights[f]) as u8
    };
    let extra = rng.range(0, 2) as usize;
    let districts = around(rng, v, first, extra);
    Commissioner {
        org,
        districts,
        fields,
        max_load: rng.range(5, 12) as u8,
    }
}

/// Field codes of a bitmask, in vocabulary order.
pub(crate) fn field_codes(mask: u8) -> Vec<&'static str> {
    (0..8)
        .filter(|f| mask & (1 << f) != 0)
        .map(|f| Field::ALL[f].code())
        .collect()
}

/// Service codes of a bitmask.
pub(crate) fn service_codes(mask: u8) -> Vec<&'static str> {
    (0..8)
        .filter(|s| mask & (1 << s) != 0)
        .map(|s| Service::ALL[s].code())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_prefers_right_service_topic_and_place() {
        let v = Vocab::new();
        let base = Provider {
            ptype: PType::Pilot,
            subtype: 0,
            place: Place::District(11),
            served: vec![],
            served_all: false,
            services: 1,
            fields: 1 << 3,
            topics: vec![v.topics_by_field[3][0]],
            terms: vec![],
            quality: 0.8,
            load: 0.3,
            capacity: 5,
            popularity: 0.5,
            org: u8::MAX,
        };
        let spec = Spec {
            topic: v.topics_by_field[3][0],
            service: 0,
            district: Some(11),
            onsite: 1,
        };
        let good = true_fit(&v, &spec, &base).total;
        assert!(grade(good) == 3, "{good}");
        let mut far = base.clone();
        far.place = Place::Outside(0);
        assert!(true_fit(&v, &spec, &far).total < good);
        let mut wrong = base.clone();
        wrong.services = 1 << 4;
        assert!(grade(true_fit(&v, &spec, &wrong).total) <= 1);
        let mut other_topic = base.clone();
        other_topic.topics = vec![v.topics_by_field[3][1]];
        assert!(true_fit(&v, &spec, &other_topic).total < good);
    }
}
