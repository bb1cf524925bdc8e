//! Reading untrusted records: one JSON object in the import format becomes a typed
//! [`Record`], or an [`Invalid`] that names the field, a stable machine code and a
//! Chinese explanation. Problems that do not make a record wrong (an unrecognised place,
//! an unknown key) become warnings, so nothing is silently lost.

use super::place::Place;
use super::records::{Commissioner, Enterprise, Entity, Feedback, Id, Need, Provider, Record};
use super::vocab::{
    Actor, Certification, EntityKind, FeedbackEvent, Field, NeedStatus, ProviderType, Service,
    Visibility,
};
use crate::error_code::{Code, Coded};
use serde_json::{Map, Value};

/// Why a record was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Stable machine code (`missing_field`, `unknown_field_code`, …).
    pub code: Code,
    /// The offending field, when there is one.
    pub field: Option<String>,
    /// Chinese explanation naming the value and what would be right.
    pub detail: String,
}

impl Invalid {
    /// A new rejection.
    pub fn new(code: Code, field: Option<&str>, detail: impl Into<String>) -> Invalid {
        Invalid {
            code,
            field: field.map(str::to_string),
            detail: detail.into(),
        }
    }

    /// A field's value that a domain parser refused, with the parser's code.
    pub fn of(key: &str, e: Coded) -> Invalid {
        Invalid::new(e.code, Some(key), format!("字段 {key}：{}", e.message))
    }
}

/// Something worth telling the importer that did not reject the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Stable machine code (`unknown_place`, `unknown_key`, `credit_code_checksum`).
    pub code: Code,
    /// The field concerned.
    pub field: String,
    /// Chinese explanation.
    pub detail: String,
}

/// A validated record and the warnings it produced.
#[derive(Debug)]
pub struct Checked {
    /// The record.
    pub record: Record,
    /// Non-fatal remarks.
    pub warnings: Vec<Warning>,
}

struct Reader<'a> {
    obj: &'a Map<String, Value>,
    warnings: Vec<Warning>,
    known: &'static [&'static str],
}

impl<'a> Reader<'a> {
    fn value(&self, key: &str) -> Option<&'a Value> {
        debug_assert!(
            self.known.contains(&key),
            "{key} missing from the known keys"
        );
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, Invalid> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            // Never coerced: `"enterprise_id": 500112` must not slip past a check that
            // compares strings and be stored as "500112".
            Some(other) => Err(wrong_type(key, "文本", other)),
        }
    }

    fn req_str(&self, key: &str) -> Result<String, Invalid> {
        self.opt_str(key)?.ok_or_else(|| missing(key))
    }

    fn opt_id(&self, key: &str) -> Result<Option<Id>, Invalid> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => Id::parse(&s).map(Some).map_err(|e| Invalid::of(key, e)),
        }
    }

    fn req_id(&self, key: &str) -> Result<Id, Invalid> {
        self.opt_id(key)?.ok_or_else(|| missing(key))
    }

    fn str_list(&self, key: &str) -> Result<Vec<String>, Invalid> {
        let items: Vec<String> = match self.value(key) {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.trim().to_string()),
                    other => Err(wrong_type(key, "文本列表", other)),
                })
                .collect::<Result<_, _>>()?,
            // A single string is read as a list separated by ; or ；, as in CSV.
            Some(Value::String(s)) => s.split([';', '；']).map(|x| x.trim().to_string()).collect(),
            Some(other) => return Err(wrong_type(key, "列表", other)),
        };
        let mut out: Vec<String> = Vec::new();
        for i in items {
            if !i.is_empty() && !out.contains(&i) {
                out.push(i);
            }
        }
        Ok(out)
    }

    fn codes<T: PartialEq>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, Coded>,
    ) -> Result<Vec<T>, Invalid> {
        let mut out = Vec::new();
        for s in self.str_list(key)? {
            let v = parse(&s).map_err(|e| Invalid::of(key, e))?;
            if !out.contains(&v) {
                out.push(v);
            }
        }
        Ok(out)
    }

    fn opt_code<T>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, Coded>,
    ) -> Result<Option<T>, Invalid> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => parse(&s).map(Some).map_err(|e| Invalid::of(key, e)),
        }
    }

    fn req_code<T>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, Coded>,
    ) -> Result<T, Invalid> {
        self.opt_code(key, parse)?.ok_or_else(|| missing(key))
    }

    fn place(&mut self, key: &str) -> Result<Option<Place>, Invalid> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => self.parse_place(key, &s).map(Some),
        }
    }

    fn places(&mut self, key: &str) -> Result<Vec<Place>, Invalid> {
        let mut out = Vec::new();
        for s in self.str_list(key)? {
            let p = self.parse_place(key, &s)?;
            if !out.contains(&p) {
                out.push(p);
            }
        }
        Ok(out)
    }

    fn parse_place(&mut self, key: &str, s: &str) -> Result<Place, Invalid> {
        // In a record an unreadable place is `invalid_value` (in a request's parameters,
        // the parser's own `invalid_district`).
        let parsed = Place::parse(s).map_err(|e| {
            Invalid::new(
                Code::InvalidValue,
                Some(key),
                format!("字段 {key}：{}", e.message),
            )
        })?;
        if let Some(w) = parsed.warning {
            self.warnings.push(Warning {
                code: Code::UnknownPlace,
                field: key.to_string(),
                detail: format!("字段 {key}：{w}"),
            });
        }
        Ok(parsed.place)
    }

    fn number(&self, key: &str) -> Result<Option<f64>, Invalid> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse::<f64>().map(Some).map_err(|_| {
                Invalid::new(
                    Code::InvalidValue,
                    Some(key),
                    format!("字段 {key}：“{s}”不是数字"),
                )
            }),
            Some(other) => Err(wrong_type(key, "数字", other)),
        }
    }

    fn count(&self, key: &str, max: f64) -> Result<Option<u32>, Invalid> {
        match self.number(key)? {
            None => Ok(None),
            Some(x) if x.fract() == 0.0 && (0.0..=max).contains(&x) => Ok(Some(x as u32)),
            Some(x) => Err(Invalid::new(
                Code::InvalidValue,
                Some(key),
                format!("字段 {key}：{x} 应为 0 到 {max} 之间的整数"),
            )),
        }
    }

    fn finish(mut self) -> Vec<Warning> {
        for key in self.obj.keys() {
            if key != "kind" && !self.known.contains(&key.as_str()) {
                self.warnings.push(Warning {
                    code: Code::UnknownKey,
                    field: key.clone(),
                    detail: format!(
                        "未知字段“{key}”已忽略（请核对拼写，字段说明见 GET /openapi.json 中的记录格式）"
                    ),
                });
            }
        }
        self.warnings
    }
}

fn missing(key: &str) -> Invalid {
    Invalid::new(Code::MissingField, Some(key), format!("缺少必填字段 {key}"))
}

fn wrong_type(key: &str, want: &str, got: &Value) -> Invalid {
    let got = match got {
        Value::Bool(_) => "布尔值",
        Value::Number(_) => "数字",
        Value::String(_) => "文本",
        Value::Array(_) => "列表",
        Value::Object(_) => "对象",
        Value::Null => "null",
    };
    Invalid::new(
        Code::WrongType,
        Some(key),
        format!("字段 {key} 应为{want}，实际是{got}"),
    )
}

const ENTERPRISE_KEYS: &[&str] = &[
    "id",
    "name",
    "credit_code",
    "district",
    "fields",
    "keywords",
    "description",
    "founded",
    "employees",
    "certifications",
];
const NEED_KEYS: &[&str] = &[
    "id",
    "enterprise_id",
    "title",
    "description",
    "service",
    "fields",
    "keywords",
    "district",
    "budget_wan",
    "deadline",
    "status",
    "visibility",
];
const PROVIDER_KEYS: &[&str] = &[
    "id",
    "provider_type",
    "name",
    "district",
    "served_districts",
    "fields",
    "services",
    "keywords",
    "description",
    "capacity",
    "qualifications",
    "organization",
    "declines_services",
    "declines_fields",
    "declines_districts",
    "min_budget_wan",
];
const COMMISSIONER_KEYS: &[&str] = &[
    "id",
    "name",
    "organization",
    "districts",
    "fields",
    "expertise",
    "max_load",
];
const FEEDBACK_KEYS: &[&str] = &[
    "need_id",
    "provider_id",
    "enterprise_id",
    "commissioner_id",
    "broker_id",
    "event",
    "actor",
    "at",
    "rank",
    "reason",
    "ranker",
    "model_version",
];

/// Checks one parsed JSON line. `kind_hint` is used when the object has no `kind`
/// (CSV files are one kind each).
pub fn check(value: &Value, kind_hint: Option<&str>) -> Result<Checked, Invalid> {
    let Value::Object(obj) = value else {
        return Err(Invalid::new(
            Code::NotAnObject,
            None,
            "每一行应是一个 JSON 对象",
        ));
    };
    let kind = match obj.get("kind") {
        Some(Value::String(k)) => k.trim(),
        Some(other) => return Err(wrong_type("kind", "文本", other)),
        None => kind_hint.ok_or_else(|| missing("kind"))?,
    };
    if kind == "feedback" {
        let mut r = Reader {
            obj,
            warnings: Vec::new(),
            known: FEEDBACK_KEYS,
        };
        let f = feedback(&mut r)?;
        return Ok(Checked {
            record: Record::Feedback(f),
            warnings: r.finish(),
        });
    }
    let kind =
        EntityKind::parse(kind).map_err(|e| Invalid::new(e.code, Some("kind"), e.message))?;
    let known = match kind {
        EntityKind::Enterprise => ENTERPRISE_KEYS,
        EntityKind::Need => NEED_KEYS,
        EntityKind::Provider => PROVIDER_KEYS,
        EntityKind::Commissioner => COMMISSIONER_KEYS,
    };
    let mut r = Reader {
        obj,
        warnings: Vec::new(),
        known,
    };
    let entity = match kind {
        EntityKind::Enterprise => Entity::Enterprise(enterprise(&mut r)?),
        EntityKind::Need => Entity::Need(need(&mut r)?),
        EntityKind::Provider => Entity::Provider(provider(&mut r)?),
        EntityKind::Commissioner => Entity::Commissioner(commissioner(&mut r)?),
    };
    Ok(Checked {
        record: Record::Entity(entity),
        warnings: r.finish(),
    })
}

fn keywords(r: &Reader) -> Result<Vec<String>, Invalid> {
    r.str_list("keywords")
}

fn fields(r: &Reader) -> Result<Vec<Field>, Invalid> {
    r.codes("fields", Field::parse)
}

fn enterprise(r: &mut Reader) -> Result<Enterprise, Invalid> {
    let credit_code = match r.opt_str("credit_code")? {
        None => None,
        Some(c) => {
            let c = c.to_ascii_uppercase();
            match credit_code_problem(&c) {
                Some(CreditProblem::Format(why)) => {
                    return Err(Invalid::new(
                        Code::InvalidCreditCode,
                        Some("credit_code"),
                        why,
                    ));
                }
                Some(CreditProblem::Checksum(why)) => r.warnings.push(Warning {
                    code: Code::CreditCodeChecksum,
                    field: "credit_code".into(),
                    detail: why,
                }),
                None => {}
            }
            Some(c)
        }
    };
    let founded = match r.number("founded")? {
        None => None,
        Some(y) if y.fract() == 0.0 && (1900.0..=2100.0).contains(&y) => Some(y as i32),
        Some(y) => {
            return Err(Invalid::new(
                Code::InvalidValue,
                Some("founded"),
                format!("字段 founded：{y} 不是合理的成立年份"),
            ));
        }
    };
    Ok(Enterprise {
        id: r.req_id("id")?,
        name: r.req_str("name")?,
        credit_code,
        district: r.place("district")?,
        fields: fields(r)?,
        keywords: keywords(r)?,
        description: r.opt_str("description")?,
        founded,
        employees: r.count("employees", 10_000_000.0)?,
        certifications: r.codes("certifications", Certification::parse)?,
    })
}

fn need(r: &mut Reader) -> Result<Need, Invalid> {
    let deadline = match r.opt_str("deadline")? {
        None => None,
        Some(d) => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(&d, &fmt).map_err(|_| {
                Invalid::new(
                    Code::InvalidValue,
                    Some("deadline"),
                    format!("字段 deadline：“{d}”应为 YYYY-MM-DD 格式的日期"),
                )
            })?;
            Some(d)
        }
    };
    let budget_wan = amount(r, "budget_wan")?;
    Ok(Need {
        id: r.req_id("id")?,
        enterprise_id: r.req_id("enterprise_id")?,
        title: r.req_str("title")?,
        description: r.opt_str("description")?,
        service: r.req_code("service", Service::parse)?,
        fields: fields(r)?,
        keywords: keywords(r)?,
        district: r.place("district")?,
        budget_wan,
        deadline,
        status: r
            .opt_code("status", NeedStatus::parse)?
            .unwrap_or(NeedStatus::Open),
        visibility: r.opt_code("visibility", Visibility::parse)?,
    })
}

/// An optional amount of money in 万元: a finite number, not negative.
fn amount(r: &mut Reader, key: &'static str) -> Result<Option<f64>, Invalid> {
    match r.number(key)? {
        Some(b) if b < 0.0 || !b.is_finite() => Err(Invalid::new(
            Code::InvalidValue,
            Some(key),
            format!("字段 {key}：{b} 不能为负数"),
        )),
        b => Ok(b),
    }
}

fn provider(r: &mut Reader) -> Result<Provider, Invalid> {
    Ok(Provider {
        id: r.req_id("id")?,
        provider_type: r.opt_code("provider_type", ProviderType::parse)?,
        name: r.req_str("name")?,
        district: r.place("district")?,
        served_districts: r.places("served_districts")?,
        fields: fields(r)?,
        services: r.codes("services", Service::parse)?,
        keywords: keywords(r)?,
        description: r.opt_str("description")?,
        capacity: r.count("capacity", 100_000.0)?,
        qualifications: r.str_list("qualifications")?,
        organization: r.opt_str("organization")?,
        declines_services: r.codes("declines_services", Service::parse)?,
        declines_fields: r.codes("declines_fields", Field::parse)?,
        declines_districts: r.places("declines_districts")?,
        min_budget_wan: amount(r, "min_budget_wan")?,
    })
}

fn commissioner(r: &mut Reader) -> Result<Commissioner, Invalid> {
    Ok(Commissioner {
        id: r.req_id("id")?,
        name: r.req_str("name")?,
        organization: r.opt_str("organization")?,
        districts: r.places("districts")?,
        fields: fields(r)?,
        expertise: r.opt_str("expertise")?,
        max_load: r.count("max_load", 100_000.0)?,
    })
}

fn feedback(r: &mut Reader) -> Result<Feedback, Invalid> {
    let at = match r.opt_str("at")? {
        None => None,
        Some(s) => {
            time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    Invalid::new(
                        Code::InvalidValue,
                        Some("at"),
                        format!("字段 at：“{s}”应为 RFC 3339 时间，如 2026-03-01T10:00:00+08:00"),
                    )
                })?;
            Some(s)
        }
    };
    let f = Feedback {
        need_id: r.opt_id("need_id")?,
        provider_id: r.opt_id("provider_id")?,
        enterprise_id: r.opt_id("enterprise_id")?,
        commissioner_id: r.opt_id("commissioner_id")?,
        broker_id: r.opt_id("broker_id")?,
        event: r.req_code("event", FeedbackEvent::parse)?,
        actor: r.req_code("actor", Actor::parse)?,
        at,
        rank: match r.count("rank", 100_000.0)? {
            Some(0) => {
                return Err(Invalid::new(
                    Code::InvalidValue,
                    Some("rank"),
                    "字段 rank 从 1 开始计数",
                ));
            }
            rank => rank,
        },
        reason: r.opt_str("reason")?,
        ranker: r.opt_str("ranker")?,
        model_version: r.opt_str("model_version")?,
    };
    let pair = [
        &f.need_id,
        &f.provider_id,
        &f.enterprise_id,
        &f.commissioner_id,
        &f.broker_id,
    ]
    .iter()
    .filter(|x| x.is_some())
    .count();
    if pair < 2 {
        return Err(Invalid::new(
            Code::MissingField,
            Some("need_id"),
            "反馈需要指明对象：need_id 与 provider_id，或 commissioner_id/broker_id 与 enterprise_id",
        ));
    }
    Ok(f)
}

enum CreditProblem {
    Format(String),
    Checksum(String),
}

/// GB 32100-2015: 18 characters from a 31-character alphabet, the last a check character.
fn credit_code_problem(code: &str) -> Option<CreditProblem> {
    const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Some(CreditProblem::Format(format!(
            "统一社会信用代码“{code}”应为 18 位，实际 {} 位",
            chars.len()
        )));
    }
    let mut values = Vec::with_capacity(18);
    for c in &chars {
        match ALPHABET.find(*c) {
            Some(v) => values.push(v as u32),
            None => {
                return Some(CreditProblem::Format(format!(
                    "统一社会信用代码“{code}”含有不允许的字符“{c}”"
                )));
            }
        }
    }
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    if values[17] != check {
        let want = ALPHABET.chars().nth(check as usize).unwrap_or('?');
        return Some(CreditProblem::Checksum(format!(
            "统一社会信用代码“{code}”校验位应为“{want}”，请核对（记录已保存）"
        )));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_good_need_reads_and_round_trips() {
        let v = json!({"kind":"need","id":"N-1","enterprise_id":"E-1","title":"碳纤维预浸料工艺放大",
            "service":"pilot_scale","fields":["new_materials"],"district":"璧山","budget_wan":80,"deadline":"2026-06-30"});
        let c = check(&v, None).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let Record::Entity(e) = c.record else {
            panic!()
        };
        let back = e.to_json();
        assert_eq!(back["district"], "璧山区");
        assert_eq!(back["status"], "open");
        assert_eq!(Entity::from_stored(e.kind(), &back.to_string()).unwrap(), e);
    }

    #[test]
    fn each_problem_has_its_code_and_field() {
        let cases = [
            (
                json!({"kind":"need","id":"N-1","title":"x","service":"pilot_scale"}),
                "missing_field",
                "enterprise_id",
            ),
            (
                json!({"kind":"need","id":"N-1","enterprise_id":"E-1","title":"x","service":"pilot"}),
                "unknown_service_code",
                "service",
            ),
            (
                json!({"kind":"enterprise","id":"E 1","name":"x"}),
                "invalid_id",
                "id",
            ),
            (
                json!({"kind":"enterprise","id":"E-1","name":"x","fields":["materials"]}),
                "unknown_field_code",
                "fields",
            ),
            (
                json!({"kind":"provider","id":"P-1","name":"x","capacity":-1}),
                "invalid_value",
                "capacity",
            ),
            (
                json!({"kind":"feedback","need_id":"N-1","event":"accepted","actor":"enterprise"}),
                "missing_field",
                "need_id",
            ),
        ];
        for (v, code, field) in cases {
            let err = check(&v, None).unwrap_err();
            assert_eq!(
                (err.code.as_str(), err.field.as_deref()),
                (code, Some(field)),
                "{v}"
            );
        }
        assert_eq!(
            check(&json!({"kind":"robot"}), None)
                .unwrap_err()
                .code
                .as_str(),
            "unknown_kind"
        );
    }

    #[test]
    fn ids_codes_and_names_must_be_strings_not_coerced() {
        let cases = [
            (
                json!({"kind":"need","id":"N-1","enterprise_id":500112,"title":"x","service":"pilot_scale"}),
                "enterprise_id",
            ),
            (json!({"kind":"enterprise","id":"E-1","name":123}), "name"),
            (json!({"kind":"enterprise","id":7,"name":"x"}), "id"),
            (json!({"kind":7,"id":"E-1","name":"x"}), "kind"),
            (
                json!({"kind":"provider","id":"P-1","name":"x","services":[1]}),
                "services",
            ),
            (
                json!({"kind":"feedback","need_id":"N-1","provider_id":5,"event":"contacted","actor":"enterprise"}),
                "provider_id",
            ),
            (
                json!({"kind":"need","id":"N-1","enterprise_id":"E-1","title":"x","service":true}),
                "service",
            ),
        ];
        for (v, field) in cases {
            let err = check(&v, None).unwrap_err();
            assert_eq!(
                (err.code.as_str(), err.field.as_deref()),
                ("wrong_type", Some(field)),
                "{v}"
            );
        }
    }

    #[test]
    fn credit_codes_are_checked() {
        assert!(credit_code_problem("91350100M000100Y43").is_none());
        assert!(matches!(
            credit_code_problem("91350100M000100Y44"),
            Some(CreditProblem::Checksum(_))
        ));
        assert!(matches!(
            credit_code_problem("9135"),
            Some(CreditProblem::Format(_))
        ));
    }

    #[test]
    fn unknown_keys_and_places_are_warnings_not_rejections() {
        let v = json!({"kind":"provider","id":"P-1","name":"x","discription":"typo","district":"火星市场"});
        let c = check(&v, None).unwrap();
        let codes: Vec<_> = c.warnings.iter().map(|w| w.code.as_str()).collect();
        assert!(
            codes.contains(&"unknown_key") && codes.contains(&"unknown_place"),
            "{codes:?}"
        );
    }
}
