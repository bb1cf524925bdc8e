//! The closed vocabularies of data-model.md: technology fields, services, provider
//! types, certifications, need status, feedback events and actors. Each is an enum with
//! its stable code (what files and the API carry) and its Chinese label (what people read).

use crate::error_code::{Code, Coded};
use serde::{Deserialize, Serialize};

/// Declares a vocabulary enum with `code()`, `zh()`, `parse()` and `ALL`; `$unknown` is
/// the error code of a value that is none of its codes.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal, $unknown:ident { $($variant:ident => $code:literal, $zh:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the order of data-model.md.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// What this vocabulary is called, in Chinese, for error messages.
            pub const WHAT: &'static str = $what;

            /// The stable code, as written in files and the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The Chinese label shown to people.
            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// Parses a code; the error carries the vocabulary's code for an unknown
            /// value and lists the codes that would be right.
            pub fn parse(code: &str) -> Result<Self, Coded> {
                match code.trim() {
                    $($code => Ok($name::$variant),)+
                    other => Err(Coded::new(
                        Code::$unknown,
                        format!(
                            "“{other}”不是有效的{}代码，可用：{}",
                            $what,
                            [$($code),+].join(", ")
                        ),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

vocabulary!(
    /// A key technology field of the action plan.
    Field, "技术领域", UnknownFieldCode {
        NextGenIt => "next_gen_it", "新一代信息技术";
        IntelligentVehicles => "intelligent_vehicles", "新能源智能网联汽车";
        Equipment => "equipment", "装备制造";
        NewMaterials => "new_materials", "新材料";
        NewEnergy => "new_energy", "新能源";
        Biomedicine => "biomedicine", "生物医药";
        CarbonNeutral => "carbon_neutral", "碳达峰碳中和";
        Other => "other", "其他";
    }
);

impl Field {
    /// A short Chinese label, for narrow places such as a chart's column heads.
    pub fn short_zh(self) -> &'static str {
        match self {
            Field::NextGenIt => "信息技术",
            Field::IntelligentVehicles => "智能网联汽车",
            Field::CarbonNeutral => "双碳",
            other => other.zh(),
        }
    }
}

vocabulary!(
    /// What a need asks for and what a provider offers.
    Service, "服务类型", UnknownServiceCode {
        PilotScale => "pilot_scale", "中试熟化";
        TechTransfer => "tech_transfer", "技术转移与成果转化";
        RdCooperation => "rd_cooperation", "联合研发";
        Testing => "testing", "检验检测";
        IpService => "ip_service", "知识产权";
        Brokerage => "brokerage", "技术经纪";
        Consulting => "consulting", "技术咨询";
        Financing => "financing", "科技金融";
    }
);

vocabulary!(
    /// The three kinds of provider.
    ProviderType, "服务机构类型", UnknownProviderType {
        TransferAgency => "transfer_agency", "技术转移机构";
        PilotPlatform => "pilot_platform", "中试熟化平台";
        Broker => "broker", "技术经纪人";
    }
);

vocabulary!(
    /// Certifications an enterprise holds.
    Certification, "企业资质", UnknownCertification {
        TechSme => "tech_sme", "科技型中小企业";
        HighTech => "high_tech", "高新技术企业";
        HighTechCandidate => "high_tech_candidate", "高新技术企业培育库";
        Specialized => "specialized", "专精特新";
        StarReserve => "star_reserve", "科创板上市储备库";
    }
);

vocabulary!(
    /// Where a need stands.
    NeedStatus, "需求状态", UnknownStatus {
        Open => "open", "待对接";
        Matched => "matched", "已对接";
        Closed => "closed", "已关闭";
    }
);

vocabulary!(
    /// What happened, in a feedback record.
    FeedbackEvent, "反馈事件", UnknownEvent {
        Impression => "impression", "展示";
        Click => "click", "点击";
        Contacted => "contacted", "已联系";
        Accepted => "accepted", "已接受";
        Rejected => "rejected", "不合适";
        Deal => "deal", "已成交";
    }
);

vocabulary!(
    /// Who may see a need.
    Visibility, "需求可见范围", UnknownVisibility {
        Public => "public", "公开";
        MatchedOnly => "matched_only", "仅对接方可见";
        Commissioners => "commissioners", "仅科技专员可见";
    }
);

vocabulary!(
    /// What an API key may do.
    Role, "角色", InvalidValue {
        Admin => "admin", "管理员";
        Commissioner => "commissioner", "科技专员";
        Broker => "broker", "技术经纪人";
        Enterprise => "enterprise", "企业";
        Provider => "provider", "服务机构";
    }
);

vocabulary!(
    /// Who acted, in a feedback record.
    Actor, "反馈人角色", UnknownActor {
        Enterprise => "enterprise", "企业";
        Provider => "provider", "服务机构";
        Commissioner => "commissioner", "科技专员";
        Broker => "broker", "技术经纪人";
        Admin => "admin", "管理员";
    }
);

/// The entity kinds that have an `id` and live in the search index.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// 企业
    Enterprise,
    /// 技术需求
    Need,
    /// 服务机构（中试平台、技术转移机构、技术经纪人）
    Provider,
    /// 科技专员
    Commissioner,
}

impl EntityKind {
    /// All four, enterprises before needs (the order an import must respect).
    pub const ALL: [EntityKind; 4] = [
        EntityKind::Provider,
        EntityKind::Commissioner,
        EntityKind::Enterprise,
        EntityKind::Need,
    ];

    /// The code used in `kind` and the store.
    pub fn code(self) -> &'static str {
        match self {
            EntityKind::Enterprise => "enterprise",
            EntityKind::Need => "need",
            EntityKind::Provider => "provider",
            EntityKind::Commissioner => "commissioner",
        }
    }

    /// The plural used in URLs (`/v1/needs`).
    pub fn plural(self) -> &'static str {
        match self {
            EntityKind::Enterprise => "enterprises",
            EntityKind::Need => "needs",
            EntityKind::Provider => "providers",
            EntityKind::Commissioner => "commissioners",
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            EntityKind::Enterprise => "企业",
            EntityKind::Need => "技术需求",
            EntityKind::Provider => "服务机构",
            EntityKind::Commissioner => "科技专员",
        }
    }

    /// Parses `enterprise`, `need`, `provider` or `commissioner` (else `unknown_kind`).
    pub fn parse(code: &str) -> Result<Self, Coded> {
        EntityKind::ALL
            .into_iter()
            .find(|k| k.code() == code)
            .ok_or_else(|| {
                Coded::new(
                    Code::UnknownKind,
                    format!("“{code}”不是有效的记录类型，可用：enterprise, need, provider, commissioner, feedback"),
                )
            })
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_bad_code_names_the_alternatives() {
        for f in Field::ALL {
            assert_eq!(Field::parse(f.code()), Ok(*f));
        }
        for s in Service::ALL {
            assert_eq!(Service::parse(s.code()), Ok(*s));
        }
        let err = Service::parse("pilot").unwrap_err();
        assert_eq!(err.code, Code::UnknownServiceCode);
        assert!(
            err.message.contains("pilot") && err.message.contains("pilot_scale"),
            "{err}"
        );
        assert_eq!(
            serde_json::to_string(&Service::PilotScale).unwrap(),
            "\"pilot_scale\""
        );
    }
}
