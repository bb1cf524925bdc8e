//! Who may see what: the viewer of a request and the visibility rule of needs.
//!
//! | a need's `visibility` | who sees it |
//! | --- | --- |
//! | `public` (or absent) | everyone |
//! | `commissioners` | its enterprise, commissioners, admins |
//! | `matched_only` | its enterprise, admins, and providers (or brokers) already engaged on it (contacted, accepted, rejected or closed a deal, per feedback) |
//!
//! A service started open (decided at start-up, see `api::auth::Access`) treats every
//! request as an admin's. Which record a key may act for is [`subject_fits`].

use super::records::{Entity, Need};
use super::vocab::{EntityKind, ProviderType, Role, Visibility};

/// The kind of record a key of `role` acts for (`None`: an admin acts for none).
pub fn subject_kind(role: Role) -> Option<EntityKind> {
    match role {
        Role::Admin => None,
        Role::Enterprise => Some(EntityKind::Enterprise),
        Role::Provider | Role::Broker => Some(EntityKind::Provider),
        Role::Commissioner => Some(EntityKind::Commissioner),
    }
}

/// Whether a key of `role` may act for `subject` (`id`, and the stored record, if any):
/// an admin for none; an enterprise, provider or commissioner for an existing record of
/// its kind; a broker for an existing provider of type `broker`. `Err` says why not, in
/// Chinese.
pub fn subject_fits(role: Role, id: Option<&str>, stored: Option<&Entity>) -> Result<(), String> {
    match (subject_kind(role), id) {
        (None, None) => Ok(()),
        (None, Some(id)) => Err(format!("管理员密钥不代表任何记录，请去掉 --subject {id}")),
        (Some(_), None) => Err(format!(
            "角色 {} 的密钥需要 --subject（它代表的记录 id）",
            role.code()
        )),
        (Some(kind), Some(id)) => match stored {
            None => Err(format!(
                "{}“{id}”不存在：请先导入这条记录再为它创建密钥",
                kind.zh()
            )),
            Some(e) if e.kind() != kind => Err(format!(
                "角色 {} 的密钥应代表{}，“{id}”是{}",
                role.code(),
                kind.zh(),
                e.kind().zh()
            )),
            Some(Entity::Provider(p))
                if role == Role::Broker && p.provider_type != Some(ProviderType::Broker) =>
            {
                Err(format!(
                    "broker 密钥只能代表类型为 broker（技术经纪人）的服务机构，“{id}”是{}；它应使用 provider 密钥",
                    p.provider_type
                        .map(|t| t.zh())
                        .unwrap_or("未注明类型的服务机构")
                ))
            }
            Some(_) => Ok(()),
        },
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The key's role.
    pub role: Role,
    /// The record it acts for.
    pub subject: Option<String>,
}

impl Viewer {
    /// An admin (also: everyone, when the service runs without keys).
    pub fn admin() -> Viewer {
        Viewer {
            role: Role::Admin,
            subject: None,
        }
    }

    /// Whether this viewer acts for `id` in `role`.
    pub fn is(&self, role: Role, id: &str) -> bool {
        self.role == role && self.subject.as_deref() == Some(id)
    }

    /// Whether this viewer may see the need; `engaged(need, provider)` says whether a
    /// provider was engaged on it.
    pub fn may_see(&self, need: &Need, engaged: impl Fn(&str, &str) -> bool) -> bool {
        if self.role == Role::Admin || self.is(Role::Enterprise, need.enterprise_id.as_str()) {
            return true;
        }
        match need.visibility.unwrap_or(Visibility::Public) {
            Visibility::Public => true,
            Visibility::Commissioners => self.role == Role::Commissioner,
            Visibility::MatchedOnly => {
                matches!(self.role, Role::Provider | Role::Broker)
                    && self
                        .subject
                        .as_deref()
                        .is_some_and(|p| engaged(need.id.as_str(), p))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::check;
    use crate::domain::{Entity, Record};

    fn need(visibility: &str) -> Need {
        let v = serde_json::json!({"kind":"need","id":"N-1","enterprise_id":"E-1","title":"t",
            "service":"pilot_scale","visibility":visibility});
        match check(&v, None).unwrap().record {
            Record::Entity(Entity::Need(n)) => n,
            _ => unreachable!(),
        }
    }

    fn viewer(role: Role, subject: &str) -> Viewer {
        Viewer {
            role,
            subject: Some(subject.into()),
        }
    }

    #[test]
    fn a_key_acts_only_for_an_existing_record_of_its_kind() {
        let rec = |v: serde_json::Value| match check(&v, None).unwrap().record {
            Record::Entity(e) => e,
            _ => unreachable!(),
        };
        let platform = rec(
            serde_json::json!({"kind":"provider","id":"P-1","name":"x","provider_type":"pilot_platform"}),
        );
        let broker = rec(
            serde_json::json!({"kind":"provider","id":"P-5","name":"y","provider_type":"broker"}),
        );
        let ent = rec(serde_json::json!({"kind":"enterprise","id":"E-1","name":"z"}));
        assert!(subject_fits(Role::Broker, Some("P-5"), Some(&broker)).is_ok());
        assert!(subject_fits(Role::Broker, Some("P-1"), Some(&platform)).is_err());
        assert!(subject_fits(Role::Provider, Some("P-1"), Some(&platform)).is_ok());
        assert!(subject_fits(Role::Provider, Some("E-1"), Some(&ent)).is_err());
        assert!(subject_fits(Role::Enterprise, Some("E-9"), None).is_err());
        assert!(subject_fits(Role::Enterprise, None, None).is_err());
        assert!(subject_fits(Role::Admin, None, None).is_ok());
        assert!(subject_fits(Role::Admin, Some("E-1"), Some(&ent)).is_err());
    }

    #[test]
    fn each_visibility_admits_exactly_its_viewers() {
        let engaged = |n: &str, p: &str| n == "N-1" && p == "P-1";
        let owner = viewer(Role::Enterprise, "E-1");
        let other = viewer(Role::Enterprise, "E-2");
        let comm = viewer(Role::Commissioner, "C-1");
        let matched = viewer(Role::Provider, "P-1");
        let unmatched = viewer(Role::Broker, "P-2");
        let admin = Viewer::admin();
        let sees = |n: &Need, v: &Viewer| v.may_see(n, engaged);
        let public = need("public");
        assert!(
            [&owner, &other, &comm, &matched, &unmatched, &admin]
                .iter()
                .all(|v| sees(&public, v))
        );
        let c = need("commissioners");
        assert!(sees(&c, &owner) && sees(&c, &comm) && sees(&c, &admin));
        assert!(!sees(&c, &other) && !sees(&c, &matched) && !sees(&c, &unmatched));
        let m = need("matched_only");
        assert!(sees(&m, &owner) && sees(&m, &matched) && sees(&m, &admin));
        assert!(!sees(&m, &other) && !sees(&m, &comm) && !sees(&m, &unmatched));
    }
}
