//! Reading a free-text request: which service it asks for, which fields it is in, which
//! districts it names and whether it insists on being near. Simple cue-word tables —
//! transparent and cheap; a request's explicit values always win over what is read here.

use super::phrases::PhraseSet;
use super::place::districts_mentioned;
use super::vocab::{Field, Service};
use std::sync::OnceLock;

const SERVICE_CUES: &[(Service, &[&str])] = &[
    (
        Service::PilotScale,
        &[
            "中试",
            "熟化",
            "放大",
            "小试",
            "试制",
            "样机",
            "样件",
            "样车",
            "试生产",
            "工艺包",
            "量产",
            "产业化",
            "吨级",
            "试产",
        ],
    ),
    (
        Service::Testing,
        &[
            "检测",
            "检验",
            "认证",
            "测试",
            "化验",
            "检验检测",
            "型式试验",
            "可靠性试验",
            "cma",
            "cnas",
        ],
    ),
    (
        Service::IpService,
        &[
            "专利",
            "知识产权",
            "商标",
            "侵权",
            "专利导航",
            "专利布局",
            "质押",
        ],
    ),
    (
        Service::TechTransfer,
        &[
            "转让",
            "许可",
            "成果转化",
            "技术转移",
            "作价入股",
            "买断",
            "引进技术",
            "技术引进",
        ],
    ),
    (
        Service::RdCooperation,
        &[
            "联合研发",
            "攻关",
            "合作研发",
            "揭榜",
            "共建",
            "联合开发",
            "产学研",
            "委托开发",
        ],
    ),
    (
        Service::Financing,
        &[
            "贷款",
            "融资",
            "投资",
            "创投",
            "资金",
            "信用贷",
            "风投",
            "股权",
        ],
    ),
    (
        Service::Consulting,
        &["咨询", "规划", "市场研究", "可行性", "诊断", "战略"],
    ),
    (
        Service::Brokerage,
        &["经纪", "撮合", "对接", "牵线", "找买家"],
    ),
];

const FIELD_CUES: &[(Field, &[&str])] = &[
    (
        Field::NextGenIt,
        &[
            "软件",
            "算法",
            "人工智能",
            "工业互联网",
            "5g",
            "大数据",
            "区块链",
            "云平台",
            "机器视觉",
            "物联网",
            "数字化",
            "边缘计算",
            "集成电路",
            "芯片",
            "传感器",
            "ai",
        ],
    ),
    (
        Field::IntelligentVehicles,
        &[
            "汽车",
            "整车",
            "自动驾驶",
            "智能网联",
            "车载",
            "线控",
            "新能源车",
            "电驱",
            "底盘",
            "座舱",
            "车规",
            "摩托车",
        ],
    ),
    (
        Field::Equipment,
        &[
            "机器人",
            "机床",
            "装备",
            "减速器",
            "产线",
            "数控",
            "自动化",
            "智能制造",
            "轴承",
            "液压",
            "模具",
            "齿轮",
        ],
    ),
    (
        Field::NewMaterials,
        &[
            "材料",
            "复合材料",
            "碳纤维",
            "合金",
            "石墨烯",
            "涂料",
            "高分子",
            "陶瓷",
            "树脂",
            "玻纤",
            "预浸料",
            "镀膜",
        ],
    ),
    (
        Field::NewEnergy,
        &[
            "电池",
            "储能",
            "氢能",
            "氢燃料",
            "光伏",
            "锂电",
            "燃料电池",
            "正极",
            "负极",
            "电解液",
            "风电",
            "充电",
        ],
    ),
    (
        Field::Biomedicine,
        &[
            "药", "医疗", "器械", "诊断", "生物", "疫苗", "细胞", "抗体", "中药", "制剂", "gmp",
            "临床",
        ],
    ),
    (
        Field::CarbonNeutral,
        &[
            "碳中和",
            "碳达峰",
            "节能",
            "环保",
            "废水",
            "固废",
            "余热",
            "减排",
            "回收",
            "碳排放",
            "污水",
            "资源化",
        ],
    ),
];

const NEAR_CUES: &[&str] = &[
    "驻厂",
    "本区或周边",
    "就近",
    "周边",
    "附近",
    "本地",
    "上门",
    "现场",
    "当地",
    "距离近",
    "不要太远",
    "同城",
];

/// Locality at the level of the whole city ("重庆本地能做的"): not a request for a nearby
/// district; blanked out before the near cues are looked for.
const CITY_LEVEL: &[&str] = &[
    "重庆本地",
    "重庆市内",
    "重庆范围内",
    "重庆境内",
    "本市",
    "市内",
    "市区内",
];

/// Phrases that say nearness is not required, whatever near cue the text also has
/// ("大足本地没有这个条件，主城可以接受").
const NOT_NEAR: &[&str] = &[
    "本地没有",
    "本地没得",
    "本地找不到",
    "不一定本地",
    "不一定要本地",
    "不限本地",
    "不限地区",
    "不限区域",
    "不限区县",
    "地点不限",
    "外地也可以",
    "外地也行",
    "外地也可",
    "外地可以",
    "主城可以接受",
    "主城也可以",
    "主城也行",
    "远一点也",
    "远点也",
    "远一些也",
    "远近都",
    "无需驻厂",
    "不用驻厂",
    "不需要驻厂",
    "不需要上门",
    "不用上门",
    "无需上门",
    "寄样",
    "快递样品",
    "邮寄样品",
];

fn city_and_not_near() -> &'static (PhraseSet, PhraseSet) {
    static SETS: OnceLock<(PhraseSet, PhraseSet)> = OnceLock::new();
    SETS.get_or_init(|| (PhraseSet::new(CITY_LEVEL), PhraseSet::new(NOT_NEAR)))
}

/// Whether a text asks for on-site work or a nearby provider: a near cue outside
/// city-level phrases, and no phrase saying nearness is not needed.
fn asks_near(lower: &str) -> bool {
    let (city, not_near) = city_and_not_near();
    if not_near.present(lower).iter().any(|p| *p) {
        return false;
    }
    let mut blanked = lower.to_string();
    for spans in city.occurrences(lower).iter().rev() {
        for &(start, end) in spans.iter().rev() {
            blanked.replace_range(start..end, &" ".repeat(end - start));
        }
    }
    let near = near_cues().present(&blanked);
    near.iter().any(|p| *p)
}

fn near_cues() -> &'static PhraseSet {
    static SET: OnceLock<PhraseSet> = OnceLock::new();
    SET.get_or_init(|| PhraseSet::new(NEAR_CUES))
}

/// What a free text says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// The service with the most cue words, if any.
    pub service: Option<Service>,
    /// Fields with cue words, most cues first (at most two).
    pub fields: Vec<Field>,
    /// Districts named.
    pub districts: Vec<&'static str>,
    /// Whether it asks for on-site work or a nearby provider.
    pub wants_near: bool,
}

/// Every cue word in one automaton: the service cues, then the field cues, then the
/// near cues, in table order.
fn cue_words() -> &'static PhraseSet {
    static CUES: OnceLock<PhraseSet> = OnceLock::new();
    CUES.get_or_init(|| {
        let words: Vec<&str> = SERVICE_CUES
            .iter()
            .flat_map(|(_, c)| c.iter().copied())
            .chain(FIELD_CUES.iter().flat_map(|(_, c)| c.iter().copied()))
            .chain(NEAR_CUES.iter().copied())
            .collect();
        PhraseSet::new(&words)
    })
}

/// Reads service, fields, districts and nearness from `text`.
pub fn read(text: &str) -> Reading {
    // Cue words have no capitals: matching them in the lower-cased text is matching them
    // case-insensitively, and the near cues (all Chinese) match there as in the text.
    let lower = text.to_lowercase();
    let present = cue_words().present(&lower);
    let mut next = 0;
    let mut count = |cues: &[&str]| {
        let n = present[next..next + cues.len()]
            .iter()
            .filter(|p| **p)
            .count();
        next += cues.len();
        n
    };
    let services: Vec<(Service, usize)> = SERVICE_CUES
        .iter()
        .map(|(s, cues)| (*s, count(cues)))
        .collect();
    let mut fields: Vec<(Field, usize)> = FIELD_CUES
        .iter()
        .map(|(f, cues)| (*f, count(cues)))
        .collect();
    count(NEAR_CUES);
    let wants_near = asks_near(&lower);
    let service = services
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(s, n)| (*n, std::cmp::Reverse(*s)))
        .map(|(s, _)| s);
    fields.retain(|(_, n)| *n > 0);
    fields.sort_by_key(|(f, n)| (std::cmp::Reverse(*n), *f));
    Reading {
        service,
        fields: fields.into_iter().take(2).map(|(f, _)| f).collect(),
        districts: districts_mentioned(text),
        wants_near,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_typical_request() {
        let r = read("想找做锂电池正极材料中试的平台，最好在璧山附近");
        assert_eq!(r.service, Some(Service::PilotScale));
        assert!(r.fields.contains(&Field::NewEnergy), "{:?}", r.fields);
        assert_eq!(r.districts, vec!["璧山区"]);
        assert!(r.wants_near);
        assert_eq!(read("天气不错").service, None);
    }

    #[test]
    fn city_level_locality_and_waivers_are_not_asking_for_near() {
        assert!(read("要能驻厂，最好在江津附近").wants_near);
        assert!(!read("现外协广东，交期太长，求重庆本地能打样的膜系线").wants_near);
        assert!(!read("大足本地没有这个条件，主城可以接受").wants_near);
        assert!(!read("可以寄样，不需要上门").wants_near);
        assert!(read("重庆本地的就行，最好就近能上门").wants_near);
    }
}
