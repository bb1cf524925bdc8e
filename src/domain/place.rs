//! Places: Chongqing's districts, counties and the three zones the action plan treats as
//! districts, their short forms and their neighbours (shipped in `districts.txt`), plus
//! `全市` (the whole city) and places outside Chongqing.

use super::phrases::PhraseSet;
use crate::error_code::{Code, Coded};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One district, county or zone.
#[derive(Debug)]
pub struct District {
    /// Official name, e.g. `璧山区`.
    pub name: &'static str,
    /// Short and long forms that normalise to `name`.
    pub aliases: Vec<&'static str>,
    /// Districts that share a border.
    pub neighbours: Vec<&'static str>,
    /// 中心城区, 主城新区, 渝东北 or 渝东南.
    pub area: &'static str,
}

/// The table of districts, parsed once from the embedded `districts.txt`.
pub struct Districts {
    list: Vec<District>,
    by_name: HashMap<&'static str, usize>,
}

const DISTRICTS_TXT: &str = include_str!("districts.txt");

/// The whole-city marker a provider may use as its place.
pub const CITY_WIDE: &str = "全市";

/// Places outside Chongqing that are recognised as such without a warning.
const KNOWN_OUTSIDE_SUFFIXES: &[&str] = &["市", "省", "自治区", "特别行政区"];

impl Districts {
    /// The shipped table.
    pub fn get() -> &'static Districts {
        static TABLE: OnceLock<Districts> = OnceLock::new();
        TABLE.get_or_init(|| Districts::parse(DISTRICTS_TXT))
    }

    fn parse(text: &'static str) -> Districts {
        let mut list = Vec::new();
        for line in text.lines() {
            let line = line.trim_end();
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&'static str> = line.split('\t').collect();
            let split = |s: Option<&&'static str>| -> Vec<&'static str> {
                s.map(|s| {
                    s.split(';')
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default()
            };
            list.push(District {
                name: cols[0].trim(),
                aliases: split(cols.get(1)),
                neighbours: split(cols.get(2)),
                area: cols.get(3).map(|s| s.trim()).unwrap_or(""),
            });
        }
        let mut by_name = HashMap::new();
        for (i, d) in list.iter().enumerate() {
            by_name.insert(d.name, i);
        }
        for (i, d) in list.iter().enumerate() {
            for a in &d.aliases {
                by_name.entry(*a).or_insert(i);
            }
        }
        Districts { list, by_name }
    }

    /// Every district, in file order.
    pub fn all(&self) -> &[District] {
        &self.list
    }

    /// Looks up an official name or an alias.
    pub fn lookup(&self, name: &str) -> Option<&District> {
        self.by_name.get(name.trim()).map(|&i| &self.list[i])
    }

    /// Whether two official names share a border.
    pub fn are_neighbours(&self, a: &str, b: &str) -> bool {
        self.lookup(a).is_some_and(|d| d.neighbours.contains(&b))
    }

    /// Every name and alias with the district it means, longest first (for finding
    /// place mentions in free text).
    pub fn mentions(&self) -> &[(&'static str, &'static str)] {
        static MENTIONS: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
        MENTIONS.get_or_init(|| {
            let mut v: Vec<(&'static str, &'static str)> = Vec::new();
            for d in &self.list {
                v.push((d.name, d.name));
                for a in &d.aliases {
                    // One-character aliases would match inside other words.
                    if a.chars().count() >= 2 {
                        v.push((a, d.name));
                    }
                }
            }
            v.sort_by_key(|(m, _)| std::cmp::Reverse(m.chars().count()));
            v
        })
    }
}

/// Where a record is based or what it serves.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Place {
    /// A district, county or zone of Chongqing (official name).
    District(&'static str),
    /// `全市`: the whole city.
    CityWide,
    /// Somewhere outside Chongqing, or an unrecognised place (kept as written).
    Outside(String),
}

/// The outcome of reading a place: the place and, when it was not recognised, a warning.
pub struct ParsedPlace {
    /// The normalised place.
    pub place: Place,
    /// Set when the text was neither a known district nor recognisably outside Chongqing.
    pub warning: Option<String>,
}

impl Place {
    /// Normalises a place name: official names and aliases become districts, `全市`
    /// the whole city, `成都市` and the like outside places; anything else is kept as
    /// written (treated as outside) with a warning.
    /// An empty text is `invalid_district`.
    pub fn parse(text: &str) -> Result<ParsedPlace, Coded> {
        let t = text.trim();
        if t.is_empty() {
            return Err(Coded::new(Code::InvalidDistrict, "地点为空"));
        }
        // `重庆市璧山区` is 璧山区; every leading `重庆市` goes, so that what is stored reads
        // back as itself (`重庆市重庆市` once became an outside place named `重庆市`, which
        // read back as the whole city).
        let mut t = t;
        while let Some(rest) = t.strip_prefix("重庆市") {
            t = rest.trim();
        }
        if t.is_empty() || t == CITY_WIDE || t == "重庆" || t == "全重庆" {
            return Ok(ParsedPlace {
                place: Place::CityWide,
                warning: None,
            });
        }
        if let Some(d) = Districts::get().lookup(t) {
            return Ok(ParsedPlace {
                place: Place::District(d.name),
                warning: None,
            });
        }
        let warning = if KNOWN_OUTSIDE_SUFFIXES.iter().any(|s| t.ends_with(s)) {
            None
        } else {
            Some(format!(
                "“{t}”不是重庆的区县名，也不像市外地名；已按市外地点保存，请核对是否笔误"
            ))
        };
        Ok(ParsedPlace {
            place: Place::Outside(t.to_string()),
            warning,
        })
    }

    /// The name as stored and shown.
    pub fn name(&self) -> &str {
        match self {
            Place::District(d) => d,
            Place::CityWide => CITY_WIDE,
            Place::Outside(s) => s,
        }
    }

    /// Whether this place is inside Chongqing (a district or the whole city).
    pub fn in_city(&self) -> bool {
        !matches!(self, Place::Outside(_))
    }
}

impl utoipa::PartialSchema for Place {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .min_length(Some(1))
            .description(Some(
                "A Chongqing district or zone (short forms such as 璧山 are normalised), `全市`, \
                 or a place outside Chongqing",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Place {}

impl Serialize for Place {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Place {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Place::parse(&s)
            .map(|p| p.place)
            .map_err(serde::de::Error::custom)
    }
}

/// Finds the districts a free text mentions (`最好在璧山附近` → 璧山区), longest match first,
/// without overlaps.
pub fn districts_mentioned(text: &str) -> Vec<&'static str> {
    static MENTIONS: OnceLock<PhraseSet> = OnceLock::new();
    let mentions = Districts::get().mentions();
    let occurrences = MENTIONS
        .get_or_init(|| PhraseSet::new(&mentions.iter().map(|(m, _)| *m).collect::<Vec<_>>()))
        .occurrences(text);
    let mut found: Vec<&'static str> = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for ((_, name), spans) in mentions.iter().zip(occurrences) {
        for (start, end) in spans {
            if !taken.iter().any(|&(s, e)| start < e && s < end) {
                taken.push((start, end));
                if !found.contains(name) {
                    found.push(name);
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (found by `fuzz/run.sh`, target `import_jsonl`): reading a stored place
    /// gives the same place, whatever prefixes and spaces the import had.
    #[test]
    fn parsing_is_idempotent() {
        for text in [
            "重庆市重庆市",
            "重庆市 重庆市 ",
            "重庆市重庆市重庆市璧山",
            "重庆市璧山区",
            "重庆市 成都市",
            "重庆市火星",
            "全市",
            "重庆",
            "璧山",
            "成都市",
        ] {
            let once = Place::parse(text).unwrap().place;
            let twice = Place::parse(once.name()).unwrap().place;
            assert_eq!(once, twice, "{text} → {} → {}", once.name(), twice.name());
        }
        assert_eq!(Place::parse("重庆市重庆市").unwrap().place, Place::CityWide);
        assert_eq!(
            Place::parse("重庆市 璧山区").unwrap().place,
            Place::District("璧山区")
        );
    }

    #[test]
    fn table_is_complete_and_symmetric() {
        let t = Districts::get();
        assert_eq!(t.all().len(), 41, "38 districts and counties plus 3 zones");
        for d in t.all() {
            for n in &d.neighbours {
                let other = t.lookup(n).unwrap_or_else(|| panic!("{n} unknown"));
                assert!(
                    other.neighbours.contains(&d.name),
                    "{} lists {n} but not back",
                    d.name
                );
            }
        }
    }

    #[test]
    fn short_forms_normalise_and_unknown_places_warn() {
        let p = Place::parse("璧山").unwrap();
        assert_eq!(p.place, Place::District("璧山区"));
        assert_eq!(
            Place::parse("石柱土家族自治县").unwrap().place,
            Place::District("石柱县")
        );
        assert_eq!(Place::parse("全市").unwrap().place, Place::CityWide);
        let out = Place::parse("成都市").unwrap();
        assert_eq!(out.place, Place::Outside("成都市".into()));
        assert!(out.warning.is_none());
        let typo = Place::parse("壁山去").unwrap();
        assert!(typo.warning.is_some());
        assert!(!typo.place.in_city());
    }

    #[test]
    fn finds_district_mentions_in_text() {
        let found = districts_mentioned("想找做锂电池正极材料中试的平台，最好在璧山附近");
        assert_eq!(found, vec!["璧山区"]);
        assert!(Districts::get().are_neighbours("璧山区", "沙坪坝区"));
    }
}
