//! The five record kinds of data-model.md as typed values. Records serialise back to the
//! import format exactly (what the store keeps and the API returns); reading untrusted
//! input goes through [`crate::domain::validate`], which says precisely what is wrong.

use super::place::Place;
use super::vocab::{
    Actor, Certification, EntityKind, FeedbackEvent, Field, NeedStatus, ProviderType, Service,
    Visibility,
};
use crate::error_code::{Code, Coded};
use serde::{Deserialize, Serialize};

/// A record id: 1–64 characters of letters, digits, `-`, `_`, `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Id(String);

impl Id {
    /// Checks the id rule of data-model.md (else `invalid_id`).
    pub fn parse(s: &str) -> Result<Id, Coded> {
        let bad = |m: String| Err(Coded::new(Code::InvalidId, m));
        if s.is_empty() {
            return bad("id 为空".into());
        }
        if s.chars().count() > 64 {
            return bad(format!("id “{s}”超过 64 个字符"));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return bad(format!(
                "id “{s}”含有不允许的字符“{c}”（只允许字母、数字、-、_、.）"
            ));
        }
        Ok(Id(s.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl utoipa::PartialSchema for Id {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .min_length(Some(1))
            .max_length(Some(64))
            .pattern(Some("^[A-Za-z0-9._-]+$"))
            .description(Some("1–64 letters, digits, `-`, `_`, `.`"))
            .into()
    }
}

impl utoipa::ToSchema for Id {}

impl TryFrom<String> for Id {
    type Error = Coded;
    fn try_from(s: String) -> Result<Self, Coded> {
        Id::parse(&s)
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A technology-based SME.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Enterprise {
    /// Stable id.
    pub id: Id,
    /// Registered name.
    pub name: String,
    /// Unified social credit code (18 characters), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<String>,
    /// Where it is based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<Place>,
    /// Technology fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Free text: business, technology, products, stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Year founded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founded: Option<i32>,
    /// Head count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employees: Option<u32>,
    /// Certifications held.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certifications: Vec<Certification>,
}

/// A technical need of an enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Need {
    /// Stable id.
    pub id: Id,
    /// The enterprise that has the need (must exist).
    pub enterprise_id: Id,
    /// Short title.
    pub title: String,
    /// Free text: situation, problem, expectation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What kind of service is asked for.
    pub service: Service,
    /// Technology fields (may be absent; then inferred from text later).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Keywords (an extension: optional, like the enterprise's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Where the work is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<Place>,
    /// Budget in 万元.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_wan: Option<f64>,
    /// Deadline, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// Status; `open` when absent.
    #[serde(default = "default_status")]
    pub status: NeedStatus,
    /// Who may see it (an extension); `public` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
}

fn default_status() -> NeedStatus {
    NeedStatus::Open
}

/// A pilot platform, transfer agency or broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Provider {
    /// Stable id.
    pub id: Id,
    /// Which kind of provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_type: Option<ProviderType>,
    /// Name.
    pub name: String,
    /// Where it is based (`全市` or a place outside Chongqing allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<Place>,
    /// The area it covers beyond its base.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub served_districts: Vec<Place>,
    /// Technology fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Services offered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
    /// Keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Free text: equipment, capabilities, cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How many engagements it can run at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// Open list of qualification codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub qualifications: Vec<String>,
    /// Host organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Services it does not take on (an extension: the provider side of matching).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declines_services: Vec<Service>,
    /// Fields it does not work in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declines_fields: Vec<Field>,
    /// Districts it does not serve.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declines_districts: Vec<Place>,
    /// Smallest engagement it takes, in 万元.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_budget_wan: Option<f64>,
}

/// A technology commissioner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Commissioner {
    /// Stable id.
    pub id: Id,
    /// Name.
    pub name: String,
    /// Home organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Districts served.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub districts: Vec<Place>,
    /// Fields of expertise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Free text: research, enterprises served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expertise: Option<String>,
    /// Most enterprises served at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_load: Option<u32>,
}

/// One feedback event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Feedback {
    /// The need, for need ↔ provider events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need_id: Option<Id>,
    /// The provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<Id>,
    /// The enterprise, for commissioner/broker events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_id: Option<Id>,
    /// The commissioner who acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commissioner_id: Option<Id>,
    /// The broker who acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_id: Option<Id>,
    /// What happened.
    pub event: FeedbackEvent,
    /// Who acted.
    pub actor: Actor,
    /// When (RFC 3339), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// 1-based position shown at (impressions, clicks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<u32>,
    /// Short reason code for a rejection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Which ranker produced the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranker: Option<String>,
    /// Which model version produced the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
}

impl Feedback {
    /// A stable fingerprint of the event's content: importing the same event twice
    /// stores it once.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let json = serde_json::to_string(self).expect("feedback serialises");
        let digest = Sha256::digest(json.as_bytes());
        digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

/// An entity: one of the four kinds with an id.
#[derive(Debug, Clone, PartialEq)]
pub enum Entity {
    /// 企业
    Enterprise(Enterprise),
    /// 需求
    Need(Need),
    /// 服务机构
    Provider(Provider),
    /// 科技专员
    Commissioner(Commissioner),
}

impl Entity {
    /// Which kind.
    pub fn kind(&self) -> EntityKind {
        match self {
            Entity::Enterprise(_) => EntityKind::Enterprise,
            Entity::Need(_) => EntityKind::Need,
            Entity::Provider(_) => EntityKind::Provider,
            Entity::Commissioner(_) => EntityKind::Commissioner,
        }
    }

    /// Its id.
    pub fn id(&self) -> &Id {
        match self {
            Entity::Enterprise(e) => &e.id,
            Entity::Need(n) => &n.id,
            Entity::Provider(p) => &p.id,
            Entity::Commissioner(c) => &c.id,
        }
    }

    /// The display name (`name`, or a need's `title`).
    pub fn name(&self) -> &str {
        match self {
            Entity::Enterprise(e) => &e.name,
            Entity::Need(n) => &n.title,
            Entity::Provider(p) => &p.name,
            Entity::Commissioner(c) => &c.name,
        }
    }

    /// The record as its import-format JSON object, with `kind`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = match self {
            Entity::Enterprise(e) => serde_json::to_value(e),
            Entity::Need(n) => serde_json::to_value(n),
            Entity::Provider(p) => serde_json::to_value(p),
            Entity::Commissioner(c) => serde_json::to_value(c),
        }
        .expect("records serialise");
        if let Some(obj) = v.as_object_mut() {
            obj.insert("kind".into(), self.kind().code().into());
        }
        v
    }

    /// Reads a record back from the JSON the store keeps (trusted: written by us).
    pub fn from_stored(kind: EntityKind, doc: &str) -> Result<Entity, serde_json::Error> {
        Ok(match kind {
            EntityKind::Enterprise => Entity::Enterprise(serde_json::from_str(doc)?),
            EntityKind::Need => Entity::Need(serde_json::from_str(doc)?),
            EntityKind::Provider => Entity::Provider(serde_json::from_str(doc)?),
            EntityKind::Commissioner => Entity::Commissioner(serde_json::from_str(doc)?),
        })
    }
}

/// Any of the five record kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// An entity with an id.
    Entity(Entity),
    /// A feedback event.
    Feedback(Feedback),
}
