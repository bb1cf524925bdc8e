//! Natural-language rendering of the demo world: names, credit codes, and the Chinese text of
//! every record, from template banks with `{slot}` placeholders.
//!
//! Every mention of a topic or service picks one of its surface forms independently, and the
//! forms used are recorded as "terms" (what a crude word-overlap ranker can see), so a need and
//! the provider that really fits it often describe the same thing in different words.

use super::rng::Rng;
use super::vocab::{
    ACADEMIC_TITLES, BROKER_BACKGROUNDS, BROKER_SKILLS, CLIENT_TYPES, COMPANY_SUFFIXES, DISTRICTS,
    ENTERPRISE_STAGES, FIELD_COMPANY_WORDS, FIELD_NAME_WORDS, FIELD_PROSE, GIVEN_CHARS, NAME_MIDS,
    ORGS, SCALE_PAIRS, SOFT_SCALE_PAIRS, SURNAMES, TESTS,
};
use super::world::{
    AGENCY_FINANCE, AGENCY_GENERAL, AGENCY_IP, AGENCY_TESTING, AGENCY_UNIVERSITY, Commissioner,
    Enterprise, Need, PType, Place, Provider, Spec, TERM_OBJECT, TERM_SERVICE, TERM_TOPIC, Vocab,
    split,
};
use crate::domain::Certification;

/// A renderer: vocabulary, the record's own random stream, and the terms used so far.
pub(crate) struct Writer<'a> {
    pub v: &'a Vocab,
    pub rng: Rng,
    pub terms: Vec<u16>,
    /// Field of the record being written (for field-flavoured phrases).
    pub field: u8,
}

type SlotFn<C> = fn(&mut Writer<'_>, &str, &C) -> String;

impl<'a> Writer<'a> {
    pub(crate) fn new(v: &'a Vocab, rng: Rng) -> Self {
        Self {
            v,
            rng,
            terms: Vec::new(),
            field: 7,
        }
    }

    fn term(&mut self, t: u16) {
        if !self.terms.contains(&t) {
            self.terms.push(t);
        }
    }

    /// A surface form of topic `t`.
    pub(crate) fn tform(&mut self, t: u16) -> &'static str {
        let forms = &self.v.topics[t as usize].forms;
        let i = self.rng.below(forms.len());
        let s = forms[i];
        self.term(TERM_TOPIC + t * 16 + i as u16);
        s
    }

    /// An application object of topic `t`.
    pub(crate) fn obj(&mut self, t: u16) -> &'static str {
        let xs = &self.v.topics[t as usize].objects;
        let i = self.rng.below(xs.len());
        let s = xs[i];
        self.term(TERM_OBJECT + t * 16 + i as u16);
        s
    }

    fn equip(&mut self, t: u16) -> &'static str {
        let xs = &self.v.topics[t as usize].equip;
        xs[self.rng.below(xs.len())]
    }

    fn prob(&mut self, t: u16) -> &'static str {
        let xs = &self.v.topics[t as usize].problems;
        xs[self.rng.below(xs.len())]
    }

    /// A surface form of service `s`.
    pub(crate) fn sform(&mut self, s: u8) -> &'static str {
        let forms = &self.v.svc_forms[s as usize];
        let i = self.rng.below(forms.len());
        let f = forms[i];
        self.term(TERM_SERVICE + u16::from(s) * 16 + i as u16);
        f
    }

    fn pick(&mut self, xs: &[&'static str]) -> &'static str {
        xs[self.rng.below(xs.len())]
    }

    fn num(&mut self, lo: i64, hi: i64) -> String {
        self.rng.range(lo, hi).to_string()
    }

    /// Fills `{slot}` placeholders of `tpl` through `slot`.
    fn expand<C>(&mut self, tpl: &str, ctx: &C, slot: SlotFn<C>) -> String {
        let mut out = String::with_capacity(tpl.len() * 3);
        let mut rest = tpl;
        while let Some(a) = rest.find('{') {
            out.push_str(&rest[..a]);
            let after = &rest[a + 1..];
            match after.find('}') {
                Some(b) => {
                    let val = slot(self, &after[..b], ctx);
                    out.push_str(&val);
                    rest = &after[b + 1..];
                }
                None => {
                    out.push_str(&rest[a..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn expand_pick<C>(&mut self, tpls: &[&'static str], ctx: &C, slot: SlotFn<C>) -> String {
        let t = self.pick(tpls);
        self.expand(t, ctx, slot)
    }

    /// Joins distinct forms of up to `k` of `topics`.
    fn topic_list(&mut self, topics: &[u16], k: usize) -> String {
        let idx = self.rng.sample(topics.len(), k.max(1));
        let parts: Vec<&str> = idx.into_iter().map(|i| self.tform(topics[i])).collect();
        join_cn(&parts)
    }

    /// Common slots shared by all record kinds.
    fn common(&mut self, key: &str) -> String {
        match key {
            "we" => self
                .pick(&["我司", "我们", "公司", "本企业", "我厂", "我们公司"])
                .to_string(),
            "years" => self.num(3, 20),
            "n" => self.num(6, 60),
            "nn" => (self.rng.range(1, 8) * 10).to_string(),
            "m" => self.num(2, 8),
            "emp" => self.num(15, 400),
            "staff" => self.num(8, 60),
            "months" => self.num(2, 12),
            "amount" => format!("{}.{}", self.num(1, 9), self.num(0, 9)),
            "area_m2" => (self.rng.range(6, 60) * 100).to_string(),
            "tests" => {
                let k = self.rng.range(2, 3) as usize;
                let idx = self.rng.sample(TESTS.len(), k);
                let parts: Vec<&str> = idx.into_iter().map(|i| TESTS[i]).collect();
                parts.join("、")
            }
            "stage" => self.pick(ENTERPRISE_STAGES).to_string(),
            "clients" => {
                let xs = split(CLIENT_TYPES[self.field as usize]);
                self.pick(&xs).to_string()
            }
            "bg" => self.pick(BROKER_BACKGROUNDS).to_string(),
            "skill" => self.pick(BROKER_SKILLS).to_string(),
            "team" => self
                .pick(&[
                    "海归博士团队",
                    "高校教授团队",
                    "几位行业老兵",
                    "大厂出来的工程师",
                    "本地民营企业家",
                ])
                .to_string(),
            _ => String::new(),
        }
    }
}

/// A (small, big) scale-up pair suited to topic `t` (software topics scale differently).
fn scale_pair(v: &Vocab, rng: &mut Rng, t: u16) -> (&'static str, &'static str) {
    if v.topics[t as usize].software {
        *rng.pick(SOFT_SCALE_PAIRS)
    } else {
        *rng.pick(SCALE_PAIRS)
    }
}

/// "A、B和C".
pub(crate) fn join_cn(parts: &[&str]) -> String {
    match parts.len() {
        0 => String::new(),
        1 => parts[0].to_string(),
        n => format!("{}和{}", parts[..n - 1].join("、"), parts[n - 1]),
    }
}

/// Removes doubled or dangling punctuation left by empty optional slots.
pub(crate) fn tidy(s: String) -> String {
    let mut s = s;
    for (a, b) in [
        ("。。", "。"),
        ("，。", "。"),
        ("；。", "。"),
        ("。，", "。"),
        ("，，", "，"),
    ] {
        while s.contains(a) {
            s = s.replace(a, b);
        }
    }
    s.trim_end_matches('，').to_string()
}

// ---------------------------------------------------------------- names and codes

/// A person's name (surname + one or two given characters).
pub(crate) fn person_name(rng: &mut Rng) -> String {
    let surnames = split(SURNAMES);
    let given = split(GIVEN_CHARS);
    let mut s = rng.pick(&surnames).to_string();
    s.push_str(rng.pick_copy(&given));
    if rng.chance(0.7) {
        s.push_str(rng.pick_copy(&given));
    }
    s
}

fn place_prefix(v: &Vocab, rng: &mut Rng, place: Place) -> &'static str {
    match place {
        Place::District(d) => rng.pick_copy(&v.prefixes[d as usize]),
        Place::Outside(o) => rng.pick_copy(&v.outside_prefixes[o as usize]),
        Place::Citywide => rng.pick_copy(&["渝", "巴渝", "山城", "重庆", "渝创"]),
    }
}

fn brand(v: &Vocab, rng: &mut Rng, place: Place) -> String {
    let mids = split(NAME_MIDS);
    let p = place_prefix(v, rng, place);
    let mut s = p.to_string();
    if p.chars().count() == 1 || rng.chance(0.5) {
        s.push_str(rng.pick_copy(&mids));
    }
    s
}

/// A company name: 重庆 + district-flavoured brand + industry word + suffix.
pub(crate) fn company_name(v: &Vocab, rng: &mut Rng, district: u8, field: u8) -> String {
    let words = split(FIELD_COMPANY_WORDS[field as usize]);
    let b = brand(v, rng, Place::District(district));
    let w: Vec<f64> = COMPANY_SUFFIXES.iter().map(|x| x.1).collect();
    let suffix = COMPANY_SUFFIXES[rng.weighted(&w)].0;
    let word = rng.pick(&words);
    let tech = if word.ends_with("科技") || word.ends_with("技术") || rng.chance(0.4) {
        ""
    } else {
        "科技"
    };
    format!("重庆{b}{word}{tech}{suffix}")
}

const CODE_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CODE_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// The GB 32100 check character for the first 17 characters of a credit code.
pub(crate) fn credit_check(first17: &[u8]) -> char {
    let mut sum = 0u32;
    for (i, c) in first17.iter().take(17).enumerate() {
        let val = CODE_CHARS.iter().position(|x| x == c).unwrap_or(0) as u32;
        sum += val * CODE_WEIGHTS[i];
    }
    let c = (31 - sum % 31) % 31;
    CODE_CHARS[c as usize] as char
}

/// An 18-character unified social credit code (9150…) with a valid check character.
pub(crate) fn credit_code(rng: &mut Rng, district: u8) -> String {
    let mut s = format!("91{}", DISTRICTS[district as usize].code);
    if rng.chance(0.75) {
        s.push_str("MA");
        for _ in 0..7 {
            s.push(CODE_CHARS[rng.below(31)] as char);
        }
    } else {
        for _ in 0..9 {
            s.push(CODE_CHARS[rng.below(10)] as char);
        }
    }
    let c = credit_check(s.as_bytes());
    s.push(c);
    s
}

// ---------------------------------------------------------------- needs

/// Slot context of a need.
pub(crate) struct NeedCtx {
    pub topic: u16,
    pub other_topic: u16,
    pub service: u8,
    pub other_service: u8,
    pub district: u8,
    pub onsite: u8,
    pub budget: u32,
    pub scale: (&'static str, &'static str),
}

const NEED_DESC: &[&str] = &[
    "{sitn}。{pr}。{ask}。{loc}{excl}{money}",
    "我们想找能做{svc}的单位。{sitn}，{pr}。{ask}。{loc}{when}",
    "现状：{sitn}；问题：{pr}；期望：{ask}。{loc}{excl}",
    "【背景】{sitn}。【需求】{ask}。【要求】{when}{loc}{money}",
    "{we}是{dist}一家做{topic}的企业，主要产品是{obj}，{pr}。{ask}，{when}{loc}",
    "急！{ask}。{sitn}，但{pr}。{money}{loc}",
    "{we}在{topic}方面积累了一些基础，但{pr}。{ask}。{excl}{when}",
    "1）现状：{sitn}；2）痛点：{pr}；3）希望：{ask}；4）其他：{when}{money}{loc}",
    "围绕{obj}产品升级，{we}计划开展{topic}相关工作。{pr}，{ask}。{loc}{money}",
    "有没有做{topic}的团队？{sitn}，{pr}，{ask}。{money}{loc}",
    "项目内容：{ask}。项目背景：{sitn}。存在问题：{pr}。{when}{loc}{excl}",
    "{sitn}。眼下的难点是{gprob}，{pr}。{ask}。{when}{loc}",
];

const SITNS: &[&str] = &[
    "{we}主营{obj}，在{topic}方向已经做了{years}年",
    "{we}目前在做{topic}相关的{obj}，实验室阶段已基本完成",
    "{we}的{obj}已有样品，{topic}核心工艺为自主开发",
    "{we}现有员工{emp}人，主要产品是基于{topic}的{obj}",
    "{topic}是{we}近两年重点布局的方向，{obj}已进入客户验证阶段",
    "{we}团队在{topic}上有一定积累，手上已有{obj}的订单意向",
    "{we}以{topic}为主业，产品主要是{obj}，客户以{clients}为主",
];

const PRS: &[&str] = &[
    "{prob}的问题一直没有解决",
    "目前存在{probs}等问题",
    "主要卡在{prob}上",
    "{prob}，而且{gprob}",
    "{gprob}，同时{prob}",
    "{probs}是最头疼的问题",
];

const GPROBS: [&[&str]; 8] = [
    &[
        "缺少中试设备和场地",
        "实验室结果放大后重复性差",
        "自建中试线投入太大",
        "没有做过工艺放大的经验",
        "良率和成本还达不到量产要求",
    ],
    &[
        "自主研发周期太长",
        "缺少核心专利",
        "现有工艺落后同行一代",
        "内部研发力量不足",
    ],
    &[
        "关键技术受制于人",
        "内部研发人员不足",
        "基础研究能力薄弱",
        "现有方案性能已经到顶",
    ],
    &[
        "客户要求提供第三方报告",
        "自建实验室不现实",
        "缺少专业检测设备",
        "出口认证门槛高",
    ],
    &[
        "专利数量少、质量不高",
        "不清楚竞争对手的专利布局",
        "担心产品上市后侵权",
        "申报高企时知识产权得分低",
    ],
    &["不知道该找谁", "对接过几家都不合适"],
    &[
        "对市场前景判断不清",
        "技术路线选择拿不准",
        "缺少行业数据",
        "转型方向不明确",
    ],
    &[
        "流动资金紧张",
        "扩产需要资金",
        "缺少抵押物，银行贷款难",
        "研发投入大、回款周期长",
    ],
];

const ASKS: [&[&str]; 8] = [
    &[
        "需要借助{equip}等设备完成{svc}，把规模从{small}放大到{big}，摸清工艺窗口",
        "希望找到具备{equip}条件的平台做{svc}，重点解决批次稳定性问题",
        "想借用外部{svc}条件做出{big}的样品，交给下游客户验证",
        "需要合作方协助完成{svc}，输出可以直接交给产线的工艺文件",
        "寻求{svc}服务：完成{m}个批次试制，评估批次稳定性和成本",
        "希望有平台能承接{obj}的{svc}，从{small}做到{big}",
    ],
    &[
        "希望通过{svc}方式引进一项成熟的{topic}技术，含专利及工艺诀窍",
        "想从高校或院所获得{topic}相关成果，许可、买断或作价入股都可以谈",
        "寻找可{svc}的{obj}相关专利，并请对方提供技术指导直到稳定量产",
        "希望对接掌握{topic}技术的团队，以{svc}方式合作",
    ],
    &[
        "希望与高校院所{svc}，攻克{prob}这一难题",
        "拟以揭榜挂帅形式发布{topic}关键技术难题，寻求有实力的团队{svc}",
        "想找课题组共建联合实验室，围绕{obj}开展{svc}",
        "需要外部专家团队参与{svc}，一起把{obj}的性能提上去",
    ],
    &[
        "需要对{obj}做{svc}，报告需带CMA章",
        "客户要求提供第三方{svc}报告，项目包括{tests}",
        "样品约{n}套，需要完成{tests}等{svc}项目",
        "想找有CNAS资质的机构做{svc}，出具可用于认证的报告",
    ],
    &[
        "需要专业机构帮我们做{svc}，挖掘可申请的发明点",
        "计划明年申报高新技术企业，想请机构做{svc}",
        "产品准备出口，担心侵权，需要做{svc}",
        "想梳理{topic}方向的专利情况，请机构做{svc}并给出布局建议",
    ],
    &[
        "希望有技术经纪人帮我们{svc}",
        "需要专业的{svc}服务，帮我们找到合适的合作方",
    ],
    &[
        "希望获得{svc}服务，梳理{topic}的技术路线和市场前景",
        "需要一份{obj}细分市场的{svc}报告，支撑下一步投资决策",
        "想请专家做{svc}，判断{topic}项目是否值得投入",
    ],
    &[
        "扩产需要资金约{budget}万元，希望对接{svc}",
        "想申请{svc}，需要有机构协助准备材料并对接银行",
        "计划开启新一轮融资，希望对接{svc}渠道",
    ],
];

const LOC_MUST: &[&str] = &[
    "合作方须在{dist}或邻近区县，最好能到我方厂区现场配合。",
    "需要驻厂服务，只考虑{dist}本区或周边的单位。",
    "要求对方派工程师驻厂，地点在{dist}。",
    "因原料运输成本高，必须在{dist}附近完成。",
];
const LOC_PREF: &[&str] = &[
    "希望就近，{dist}或周边优先。",
    "最好在{dist}附近，方便我方工程师每周到现场跟线。",
    "本区或周边的平台优先考虑。",
    "希望合作方离{dist}不要太远。",
];
const EXCLS: &[&str] = &[
    "不考虑纯咨询类服务。",
    "暂不考虑{othertopic}方向的方案。",
    "不需要{othersvc}。",
    "请勿推荐只做{othersvc}的机构。",
    "之前和做{othertopic}的机构谈过，不合适。",
];
const WHENS: &[&str] = &[
    "希望{months}个月内完成。",
    "年底前要有结果。",
    "时间比较紧，{months}个月内。",
    "周期不超过{months}个月。",
    "明年上半年前完成即可。",
];
const MONEYS: &[&str] = &[
    "预算约{budget}万元。",
    "费用可谈，预算{budget}万元左右。",
    "",
    "经费控制在{budget}万元以内。",
    "可承担{budget}万元左右费用。",
];

const TITLES: &[&str] = &[
    "{topic}{svc}需求",
    "寻求{topic}方面的{svc}",
    "{obj}{svc}",
    "关于{obj}的{svc}需求",
    "{dist}企业{topic}{svc}",
    "求助：{obj}{prob}问题",
    "{topic}项目{svc}",
];
const TITLES_BY_SERVICE: [&[&str]; 8] = [
    &[
        "{topic}{svc}与一致性验证",
        "{obj}从小试到中试的{svc}",
        "{obj}样品{svc}",
        "{topic}工艺放大及批量验证",
    ],
    &["引进{topic}成熟技术", "{obj}相关专利{svc}"],
    &["{topic}关键技术{svc}", "{prob}难题{svc}"],
    &["{obj}{svc}（{tests}）", "{obj}第三方{svc}"],
    &["{topic}方向{svc}", "高企申报前的{svc}"],
    &["{topic}合作方{svc}"],
    &["{topic}项目{svc}", "{obj}市场与技术路线{svc}"],
    &["{topic}企业{svc}需求", "扩产资金{svc}"],
];

fn need_slot(w: &mut Writer<'_>, key: &str, c: &NeedCtx) -> String {
    match key {
        "topic" => w.tform(c.topic).to_string(),
        "obj" => w.obj(c.topic).to_string(),
        "equip" => w.equip(c.topic).to_string(),
        "prob" => w.prob(c.topic).to_string(),
        "probs" => {
            let a = w.prob(c.topic);
            let mut b = w.prob(c.topic);
            if a == b {
                b = w.prob(c.topic);
            }
            if a == b {
                a.to_string()
            } else {
                format!("{a}、{b}")
            }
        }
        "svc" => w.sform(c.service).to_string(),
        "othertopic" => w.tform(c.other_topic).to_string(),
        "othersvc" => w.sform(c.other_service).to_string(),
        "dist" => DISTRICTS[c.district as usize].short.to_string(),
        "small" => c.scale.0.to_string(),
        "big" => c.scale.1.to_string(),
        "budget" => c.budget.to_string(),
        "pkind" => match c.service {
            0 => w.pick(&["平台", "中试基地", "单位"]),
            3 => w.pick(&["检测机构", "实验室", "第三方机构"]),
            5 => w.pick(&["技术经纪人", "中介机构"]),
            7 => w.pick(&["金融机构", "服务机构"]),
            _ => w.pick(&["机构", "团队", "服务机构"]),
        }
        .to_string(),
        "gprob" => w.pick(GPROBS[c.service as usize]).to_string(),
        "sitn" => w.expand_pick(SITNS, c, need_slot),
        "pr" => w.expand_pick(PRS, c, need_slot),
        "ask" => w.expand_pick(ASKS[c.service as usize], c, need_slot),
        "loc" => match c.onsite {
            2 => w.expand_pick(LOC_MUST, c, need_slot),
            1 => w.expand_pick(LOC_PREF, c, need_slot),
            _ => {
                if w.rng.chance(0.12) {
                    w.pick(&["地点不限，可远程对接。", "不限地区。"])
                        .to_string()
                } else {
                    String::new()
                }
            }
        },
        "excl" => {
            if w.rng.chance(0.2) {
                w.expand_pick(EXCLS, c, need_slot)
            } else {
                String::new()
            }
        }
        "when" => w.expand_pick(WHENS, c, need_slot),
        "money" => {
            if c.service == 7 {
                String::new()
            } else {
                w.expand_pick(MONEYS, c, need_slot)
            }
        }
        _ => w.common(key),
    }
}

/// Title and description of a need (terms are recorded in `w`).
pub(crate) fn need_text(w: &mut Writer<'_>, n: &Need, budget: u32) -> (String, String) {
    let v = w.v;
    let field = v.topic_field(n.topic);
    let pool = &v.topics_by_field[field as usize];
    let mut other_topic = *w.rng.pick(pool);
    if other_topic == n.topic {
        other_topic = *w.rng.pick(pool);
    }
    let mut other_service = w.rng.below(8) as u8;
    if other_service == n.service {
        other_service = (other_service + 1 + w.rng.below(7) as u8) % 8;
    }
    let ctx = NeedCtx {
        topic: n.topic,
        other_topic,
        service: n.service,
        other_service,
        district: n.district,
        onsite: n.onsite,
        budget,
        scale: scale_pair(v, &mut w.rng, n.topic),
    };
    w.field = field;
    let title = if w.rng.chance(0.5) {
        w.expand_pick(TITLES, &ctx, need_slot)
    } else {
        w.expand_pick(TITLES_BY_SERVICE[n.service as usize], &ctx, need_slot)
    };
    let desc = w.expand_pick(NEED_DESC, &ctx, need_slot);
    (tidy(title), tidy(desc))
}

// ---------------------------------------------------------------- providers

/// Rendered visible fields of a provider.
pub(crate) struct ProviderText {
    pub name: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub qualifications: Vec<&'static str>,
    pub organization: Option<String>,
}

struct ProvCtx<'p> {
    p: &'p Provider,
    primary_service: u8,
    other_topic: u16,
    other_service: u8,
    field: u8,
    org: String,
    intro: String,
    title: &'static str,
    scale: (&'static str, &'static str),
}

const PILOT_DESC: &[&str] = &[
    "{intro}。拥有{equips}等设备，可开展{topics}从{small}到{big}的{svc}、工艺包开发和批次稳定性评价。{cases}{onsite}{excl}",
    "从{small}到{big}，我们帮企业跨过{svc}这道坎！平台配备{equips}，主要服务{topics}方向。{cases}{onsite}",
    "装置：{equips}。方向：{topics}。服务：{svcs}。{onsite}{excl}",
    "面向{fieldcn}企业开放{equips}，承接{objs}的{svc}和{svc2}。{cases}{excl}",
    "平台依托{org}建设，聚焦{topics}，提供{svcs}。年服务企业{nn}余家。{onsite}{excl}",
    "{intro}，重点解决{topics}领域“实验室做得出、产线做不好”的问题，{equips}一应俱全。{cases}{onsite}",
    "可做：{svcs}；设备：{equips}；典型案例：{objs}。{excl}{onsite}",
    "专注{topics}的{svc}服务，拥有{area_m2}平方米中试车间和{equips}。{cases}{excl}",
    "{intro}。围绕{objs}等产品提供{svc}与{svc2}，配套{tests}等检测能力。{onsite}{cases}",
];
const AGENCY_DESC: &[&str] = &[
    "{intro}。与市内{n}所高校院所建立合作关系，提供{svcs}等服务，重点领域为{topics}。{cases}{excl}",
    "提供{svcs}全流程服务，团队{staff}人，熟悉{topics}等方向。{cases}{areatext}",
    "专注{fieldcn}领域：{svcs}。{cases}{excl}",
    "为科技型中小企业提供{svcs}，每月举办对接活动，关注{topics}。{excl}{areatext}",
    "服务内容：{svcs}。服务领域：{topics}。服务区域：{area}。{cases}",
    "{intro}，年促成技术合同成交额{amount}亿元，覆盖{topics}等领域。{excl}",
    "帮企业把{topics}方面的需求说清楚，再到全国找成果、找团队：{svcs}。{cases}",
];
const AGENCY_DESC_BY_SUBTYPE: [&[&str]; 6] = [
    &["{intro}，提供成果评价、{svcs}和技术合同认定登记等服务，重点关注{topics}。{cases}"],
    &[
        "可许可或转让的有效专利{nn}0余件，涉及{topics}；可组织教授团队与企业开展{rdsvc}。企业只需提出问题，我们负责找到对的课题组。",
        "依托{org}学科优势，面向企业开放{topics}等方向的成果，提供{svcs}。{cases}",
    ],
    &[
        "提供{svcs}、高价值专利培育、侵权判定等服务，代理师熟悉{topics}等技术方向。{excl}",
        "{intro}，专利代理师{staff}名，服务{fieldcn}企业，可做{svc}和{svc2}。{cases}",
    ],
    &[
        "为科技型中小企业对接{svcs}，合作银行和基金{n}家，关注{topics}方向。只解决“钱”的问题，不提供技术开发、中试或检测。",
        "每月举办项目路演，协助企业准备融资材料，提供{svcs}。{cases}",
    ],
    &[
        "检测项目覆盖{tests}等{nn}0余项，主要服务{topics}相关企业，提供{svcs}。只做检测认证，不做工艺开发和样品试制。",
        "{intro}，可对{objs}等产品开展{tests}测试，出具带资质章的报告。{excl}",
    ],
    &[
        "{intro}，围绕{topics}开展{svcs}，为企业提供技术路线和产业规划建议。{cases}",
        "面向{fieldcn}企业提供{svcs}，研究团队{staff}人。{excl}",
    ],
];
const BROKER_DESC: &[&str] = &[
    "{title}，{bg}，从业{years}年。熟悉{area}一带{topics}企业，擅长{skill}。",
    "{bg}。主要服务{topics}方向企业：{svcs}。已撮合项目{n}个。{excl}",
    "懂技术也懂市场的经纪团队！帮{topics}企业{skill}。{cases}",
    "{title}。擅长{skill}；业务：{svcs}。服务区域：{area}。{excl}",
    "{bg}，{title}，专做{topics}方向的技术对接，帮企业找工艺、找平台、找专家。",
    "擅长{skill}。领域：{topics}；服务：{svcs}。{cases}",
    "扎根{area}，{title}。{bg}，对{fieldcn}企业的技术痛点比较熟悉，主要做{svc}。",
];
const PROVIDER_EXCL: &[&str] = &[
    "不承接{othertopic}项目。",
    "只做{svc}，不做{othersvc}。",
    "{othertopic}相关项目请勿提交。",
    "不提供{othersvc}服务。",
];

fn provider_slot(w: &mut Writer<'_>, key: &str, c: &ProvCtx<'_>) -> String {
    let p = c.p;
    match key {
        "topics" => {
            let k = w.rng.range(2, 3) as usize;
            w.topic_list(&p.topics, k)
        }
        "topic" => {
            let t = *w.rng.pick(&p.topics);
            w.tform(t).to_string()
        }
        "objs" => {
            let idx = w.rng.sample(p.topics.len(), 2);
            let parts: Vec<&str> = idx.into_iter().map(|i| w.obj(p.topics[i])).collect();
            parts.join("、")
        }
        "equips" => {
            let k = w.rng.range(2, 3) as usize;
            let idx = w.rng.sample(p.topics.len(), k);
            let mut parts: Vec<&str> = idx.into_iter().map(|i| w.equip(p.topics[i])).collect();
            if parts.len() < 2 {
                let t = p.topics[0];
                let e = w.equip(t);
                if !parts.contains(&e) {
                    parts.push(e);
                }
            }
            parts.join("、")
        }
        "svc" => w.sform(c.primary_service).to_string(),
        "rdsvc" => w.sform(2).to_string(),
        "svc2" => {
            let offered: Vec<u8> = (0..8u8).filter(|&s| p.offers(s)).collect();
            let s = offered
                .iter()
                .copied()
                .find(|&s| s != c.primary_service)
                .unwrap_or(c.primary_service);
            w.sform(s).to_string()
        }
        "svcs" => {
            let mut parts = Vec::new();
            for s in 0..8u8 {
                if p.offers(s) {
                    parts.push(w.sform(s));
                }
            }
            parts.join("、")
        }
        "othertopic" => w.tform(c.other_topic).to_string(),
        "othersvc" => w.sform(c.other_service).to_string(),
        "fieldcn" => FIELD_PROSE[c.field as usize].to_string(),
        "org" => c.org.clone(),
        "intro" => c.intro.clone(),
        "title" => c.title.to_string(),
        "small" => c.scale.0.to_string(),
        "big" => c.scale.1.to_string(),
        "cases" => {
            let n = (3.0 + 40.0 * f64::from(p.quality) * w.rng.f64()) as i64;
            match w.rng.below(4) {
                0 => {
                    let idx = w.rng.sample(p.topics.len(), 2);
                    let parts: Vec<&str> = idx.into_iter().map(|i| w.obj(p.topics[i])).collect();
                    format!("近三年完成{}等项目{n}项。", parts.join("、"))
                }
                1 => format!("已服务企业{}余家。", (n / 5 + 1) * 10),
                2 => format!("累计促成合作{n}项。"),
                _ => String::new(),
            }
        }
        "onsite" => match p.place {
            Place::Outside(_) => "以远程方案评审加集中试制为主，不派驻现场。".to_string(),
            _ => w
                .pick(&[
                    "工程师可驻厂跟线。",
                    "可派技术人员到企业现场服务。",
                    "",
                    "欢迎企业带料来试。",
                ])
                .to_string(),
        },
        "excl" => {
            if w.rng.chance(0.25) {
                w.expand_pick(PROVIDER_EXCL, c, provider_slot)
            } else {
                String::new()
            }
        }
        "area" => area_text(w, p),
        "areatext" => {
            let a = area_text(w, p);
            format!("服务区域：{a}。")
        }
        _ => w.common(key),
    }
}

fn area_text(w: &mut Writer<'_>, p: &Provider) -> String {
    if p.served_all || p.place == Place::Citywide {
        return w
            .pick(&["全市", "重庆全市", "重庆及周边", "全市各区县"])
            .to_string();
    }
    if !p.served.is_empty() {
        let parts: Vec<&str> = p
            .served
            .iter()
            .map(|&d| DISTRICTS[d as usize].short)
            .collect();
        return parts.join("、");
    }
    match p.place {
        Place::District(d) => format!("{}及周边", DISTRICTS[d as usize].short),
        Place::Outside(o) => format!("{}及重庆", super::vocab::OUTSIDE[o as usize].0),
        Place::Citywide => "全市".to_string(),
    }
}

fn primary_service(p: &Provider) -> u8 {
    match p.ptype {
        PType::Pilot => 0,
        PType::Broker => 5,
        PType::Agency => match p.subtype {
            AGENCY_GENERAL | AGENCY_UNIVERSITY => 1,
            AGENCY_IP => 4,
            AGENCY_FINANCE => 7,
            AGENCY_TESTING => 3,
            _ => 6,
        },
    }
}

/// Renders a provider's visible fields; records its terms in `p.terms`.
pub(crate) fn provider_text(v: &Vocab, p: &mut Provider, rng: Rng) -> ProviderText {
    let mut w = Writer::new(v, rng);
    let field = p.topics.first().map(|&t| v.topic_field(t)).unwrap_or(7);
    let q = f64::from(p.quality);
    let fieldwords = split(FIELD_NAME_WORDS[field as usize]);
    let fieldword = *w.rng.pick(&fieldwords);
    let short = match p.place {
        Place::District(d) => DISTRICTS[d as usize].short,
        Place::Outside(o) => &super::vocab::OUTSIDE[o as usize].0[..6],
        Place::Citywide => "重庆",
    };
    let mids = split(NAME_MIDS);
    let mut quals: Vec<&'static str> = Vec::new();
    let mut organization: Option<String> = None;
    let mut title = "";
    let brand_s = brand(v, &mut w.rng, p.place);
    let uni = if p.org != u8::MAX {
        ORGS[p.org as usize].0
    } else {
        let cands: Vec<&'static str> = ORGS
            .iter()
            .filter(|o| o.2.iter().any(|&(f, _)| f == field as usize))
            .map(|o| o.0)
            .collect();
        if cands.is_empty() {
            ORGS[w.rng.below(ORGS.len())].0
        } else {
            *w.rng.pick(&cands)
        }
    };
    let (name, intro) = match p.ptype {
        PType::Pilot => {
            let kind = w.pick(&[
                "中试基地",
                "中试熟化平台",
                "中试公共服务平台",
                "中试验证中心",
                "试制验证中心",
                "工程化中试平台",
                "概念验证与中试中心",
            ]);
            let head = if w.rng.chance(0.4) {
                short
            } else {
                brand_s.as_str()
            };
            if w.rng.chance(0.3 + 0.5 * q) {
                quals.push("municipal_pilot_platform");
            }
            if p.offers(3) && w.rng.chance(0.7) {
                quals.push("cma");
            }
            if p.offers(3) && w.rng.chance(0.3) {
                quals.push("cnas");
            }
            let org = match w.rng.below(4) {
                0 => uni.to_string(),
                1 => format!("{brand_s}{fieldword}研究院"),
                2 => format!(
                    "{short}{}",
                    w.pick(&["经开区管委会", "高新区管委会", "产业园"])
                ),
                _ => format!("重庆{brand_s}{}科技有限公司", w.pick(&mids)),
            };
            organization = Some(org);
            let intro = if quals.contains(&"municipal_pilot_platform") {
                "市级中试熟化平台".to_string()
            } else {
                w.pick(&[
                    "开放共享的中试服务平台",
                    "专业中试服务平台",
                    "企业化运营的中试平台",
                ])
                .to_string()
            };
            (format!("{head}{fieldword}{kind}"), intro)
        }
        PType::Agency => {
            let (name, intro) = match p.subtype {
                AGENCY_GENERAL => {
                    if w.rng.chance(0.1 + 0.3 * q) {
                        quals.push("national_tech_transfer_agency");
                    } else if w.rng.chance(0.5) {
                        quals.push("municipal_tech_transfer_agency");
                    }
                    let n = match w.rng.below(4) {
                        0 => format!("{brand_s}科技成果转化服务中心"),
                        1 => format!("{brand_s}技术转移中心"),
                        2 => format!("重庆{brand_s}{}成果转化服务有限公司", w.pick(&mids)),
                        _ => format!("{short}技术转移服务中心"),
                    };
                    let i = if quals.contains(&"national_tech_transfer_agency") {
                        "国家技术转移示范机构"
                    } else if quals.contains(&"municipal_tech_transfer_agency") {
                        "市级技术转移示范机构"
                    } else {
                        "专业科技服务机构"
                    };
                    (n, i.to_string())
                }
                AGENCY_UNIVERSITY => {
                    if w.rng.chance(0.6) {
                        quals.push("municipal_tech_transfer_agency");
                    }
                    organization = Some(uni.to_string());
                    let n = match w.rng.below(4) {
                        0 => format!("{uni}技术转移中心"),
                        1 => format!("{uni}科技成果转化中心"),
                        2 => format!("{uni}{short}技术转移分中心"),
                        _ => format!("{uni}{short}产业技术研究院"),
                    };
                    (n, format!("{uni}设立的技术转移机构"))
                }
                AGENCY_IP => {
                    if w.rng.chance(0.9) {
                        quals.push("patent_agency");
                    }
                    if w.rng.chance(0.2) {
                        quals.push("municipal_tech_transfer_agency");
                    }
                    let n = match w.rng.below(3) {
                        0 => format!("{brand_s}知识产权运营服务中心"),
                        1 => format!("重庆{brand_s}{}专利代理事务所", w.pick(&mids)),
                        _ => format!("{brand_s}知识产权服务有限公司"),
                    };
                    (n, "知识产权服务机构".to_string())
                }
                AGENCY_FINANCE => {
                    let n = match w.rng.below(3) {
                        0 => format!("{brand_s}科创金融服务中心"),
                        1 => format!("{brand_s}科技金融服务平台"),
                        _ => format!("重庆{brand_s}{}科技融资服务有限公司", w.pick(&mids)),
                    };
                    (n, "科技金融服务机构".to_string())
                }
                AGENCY_TESTING => {
                    if w.rng.chance(0.9) {
                        quals.push("cma");
                    }
                    if w.rng.chance(0.6) {
                        quals.push("cnas");
                    }
                    let n = match w.rng.below(3) {
                        0 => format!("{brand_s}检验检测认证中心"),
                        1 => format!("重庆{brand_s}{}检测技术有限公司", w.pick(&mids)),
                        _ => format!("{brand_s}{fieldword}质量检验中心"),
                    };
                    let i = if quals.len() == 2 {
                        "CMA/CNAS双资质第三方实验室"
                    } else {
                        "第三方检测实验室"
                    };
                    (n, i.to_string())
                }
                _ => {
                    if w.rng.chance(0.3) {
                        quals.push("municipal_tech_transfer_agency");
                    }
                    let n = match w.rng.below(3) {
                        0 => format!("{brand_s}{fieldword}产业研究院"),
                        1 => format!("重庆{brand_s}{}科技咨询有限公司", w.pick(&mids)),
                        _ => format!("{brand_s}产业技术研究院"),
                    };
                    (n, "新型研发机构".to_string())
                }
            };
            if organization.is_none() && w.rng.chance(0.3) {
                organization = Some(
                    w.pick(&[
                        "重庆市技术市场协会",
                        "重庆科技服务业联盟",
                        "区科技局",
                        "重庆市生产力促进中心",
                    ])
                    .to_string(),
                );
            }
            (name, intro)
        }
        PType::Broker => {
            let r = w.rng.f64() * 0.6 + q * 0.6;
            let (code, t) = if r > 0.85 {
                ("broker_senior", "高级技术经纪人")
            } else if r > 0.5 {
                ("broker_intermediate", "中级技术经纪人")
            } else {
                ("broker_junior", "初级技术经纪人")
            };
            quals.push(code);
            title = t;
            let name = if w.rng.chance(0.75) {
                person_name(&mut w.rng)
            } else {
                match w.rng.below(3) {
                    0 => format!("重庆{brand_s}技术经纪工作室"),
                    1 => format!("{brand_s}{}科技服务有限公司", w.pick(&mids)),
                    _ => format!("重庆{brand_s}科技咨询工作室"),
                }
            };
            if w.rng.chance(0.3) {
                organization = Some(format!(
                    "{}技术转移中心",
                    w.pick(&["渝创", "两江", "科学城", "巴渝", "缙云"])
                ));
            }
            (name, String::new())
        }
    };
    let pool = &v.topics_by_field[field as usize];
    let mut other_topic = *w.rng.pick(pool);
    for _ in 0..4 {
        if !p.topics.contains(&other_topic) {
            break;
        }
        other_topic = *w.rng.pick(pool);
    }
    let not_offered: Vec<u8> = (0..8u8).filter(|&s| !p.offers(s)).collect();
    let other_service = if not_offered.is_empty() {
        6
    } else {
        *w.rng.pick(&not_offered)
    };
    let ctx = ProvCtx {
        p,
        primary_service: primary_service(p),
        other_topic: if p.topics.contains(&other_topic) {
            // all topics of the field are offered; exclude something from another field
            v.topic_in(&mut w.rng, (field + 3) % 7)
        } else {
            other_topic
        },
        other_service,
        field,
        org: organization.clone().unwrap_or_else(|| uni.to_string()),
        intro,
        title,
        scale: scale_pair(v, &mut w.rng, p.topics[0]),
    };
    w.field = field;
    let desc = match p.ptype {
        PType::Pilot => w.expand_pick(PILOT_DESC, &ctx, provider_slot),
        PType::Agency => {
            if w.rng.chance(0.5) {
                w.expand_pick(
                    AGENCY_DESC_BY_SUBTYPE[p.subtype as usize],
                    &ctx,
                    provider_slot,
                )
            } else {
                w.expand_pick(AGENCY_DESC, &ctx, provider_slot)
            }
        }
        PType::Broker => w.expand_pick(BROKER_DESC, &ctx, provider_slot),
    };
    // Keywords: topic forms, an object or piece of equipment, a service form.
    let mut keywords: Vec<String> = Vec::new();
    let kt = w.rng.range(1, 3) as usize;
    for i in w.rng.sample(p.topics.len(), kt) {
        let f = w.tform(p.topics[i]).to_string();
        if !keywords.contains(&f) {
            keywords.push(f);
        }
    }
    let t0 = *w.rng.pick(&p.topics);
    let extra = if p.ptype == PType::Pilot || w.rng.chance(0.3) {
        w.equip(t0).to_string()
    } else {
        w.obj(t0).to_string()
    };
    if !keywords.contains(&extra) {
        keywords.push(extra);
    }
    let s = w.sform(ctx.primary_service).to_string();
    if !keywords.contains(&s) {
        keywords.push(s);
    }
    let description = tidy(desc);
    p.terms = std::mem::take(&mut w.terms);
    ProviderText {
        name,
        description,
        keywords,
        qualifications: quals,
        organization,
    }
}

// ---------------------------------------------------------------- enterprises

/// Rendered visible fields of an enterprise.
pub(crate) struct EnterpriseText {
    pub name: String,
    pub credit_code: String,
    pub keywords: Vec<String>,
    pub description: String,
    pub founded: i64,
    pub employees: i64,
    pub certifications: Vec<&'static str>,
}

struct EntCtx {
    topic: u16,
    topics: Vec<u16>,
    district: u8,
    founded: i64,
    employees: i64,
}

const ENT_DESC: &[&str] = &[
    "专业从事{obj}的研发与生产，{topic}是核心技术方向。{stage}。",
    "{founded}年由{team}创办，专注{topic}，{stage}。",
    "主营{obj}，年产能{cap}，客户以{clients}为主。{prob}是目前的短板。",
    "做{topic}的小团队。产品：{obj}。{stage}。",
    "{dist}本地企业，主营{obj}，近年向{topic}方向升级，{stage}。",
    "公司聚焦{topic}领域，已申请发明专利{m}件，{stage}。",
    "以{topics}为核心技术，产品包括{obj}等，{stage}。现有员工{employees}人。",
];

fn ent_slot(w: &mut Writer<'_>, key: &str, c: &EntCtx) -> String {
    match key {
        "topic" => w.tform(c.topic).to_string(),
        "topics" => w.topic_list(&c.topics, 2),
        "obj" => w.obj(c.topic).to_string(),
        "prob" => w.prob(c.topic).to_string(),
        "dist" => DISTRICTS[c.district as usize].short.to_string(),
        "founded" => c.founded.to_string(),
        "employees" => c.employees.to_string(),
        "cap" => {
            let unit = w.pick(&["万件", "吨", "台套", "万片", "万支"]);
            format!("{}{unit}", w.rng.range(2, 900))
        }
        _ => w.common(key),
    }
}

/// Renders an enterprise's visible fields.
pub(crate) fn enterprise_text(v: &Vocab, e: &Enterprise, rng: Rng) -> EnterpriseText {
    let mut w = Writer::new(v, rng);
    let field = v.topic_field(e.topics[0]);
    w.field = field;
    let name = company_name(v, &mut w.rng, e.district, field);
    let credit_code = credit_code(&mut w.rng, e.district);
    let founded = 2024 - (w.rng.f64().powf(1.6) * 19.0) as i64;
    let age = (2025 - founded) as f64;
    let employees = ((8.0 + age * 6.0) * (w.rng.normal(0.0, 0.6)).exp()).round() as i64;
    let employees = employees.clamp(3, 2000);
    let mut certs = Vec::new();
    if w.rng.chance(0.85) {
        certs.push(Certification::TechSme.code());
    }
    let ht = w.rng.chance(0.25 + (age / 40.0).min(0.2));
    if ht {
        certs.push(Certification::HighTech.code());
    } else if w.rng.chance(0.2) {
        certs.push(Certification::HighTechCandidate.code());
    }
    if w.rng.chance(if ht { 0.25 } else { 0.05 }) {
        certs.push(Certification::Specialized.code());
    }
    if w.rng.chance(if ht { 0.06 } else { 0.01 }) {
        certs.push(Certification::StarReserve.code());
    }
    let ctx = EntCtx {
        topic: e.topics[0],
        topics: e.topics.clone(),
        district: e.district,
        founded,
        employees,
    };
    let description = tidy(w.expand_pick(ENT_DESC, &ctx, ent_slot));
    let mut keywords: Vec<String> = Vec::new();
    for &t in &e.topics {
        keywords.push(w.tform(t).to_string());
        let o = w.obj(t).to_string();
        if !keywords.contains(&o) {
            keywords.push(o);
        }
    }
    EnterpriseText {
        name,
        credit_code,
        keywords,
        description,
        founded,
        employees,
        certifications: certs,
    }
}

// ---------------------------------------------------------------- commissioners

struct CommCtx {
    topics: Vec<u16>,
    field: u8,
    org: String,
    title: &'static str,
}

const COMM_DESC: &[&str] = &[
    "{title}，研究方向为{topics}，曾为{nn}余家{fieldcn}企业提供技术诊断和技改方案，熟悉市级科技项目申报。",
    "{title}，长期从事{topics}研究，服务过{clients}等类型企业，每年走访企业{n}家以上。",
    "{title}，{topics}方向，擅长帮助企业做产品定义、技术路线规划和成果转化。",
    "在{org}从事{topics}研究{years}年，主持国家级项目{m}项，对{fieldcn}中小企业的共性技术难题比较熟悉。",
    "{title}。专长：{topics}；服务经验：{clients}；可提供技术诊断、项目申报辅导、产学研对接。",
];

fn comm_slot(w: &mut Writer<'_>, key: &str, c: &CommCtx) -> String {
    match key {
        "topics" => w.topic_list(&c.topics, 2),
        "fieldcn" => FIELD_PROSE[c.field as usize].to_string(),
        "org" => c.org.clone(),
        "title" => c.title.to_string(),
        _ => w.common(key),
    }
}

/// Name, organization and expertise text of a commissioner.
pub(crate) fn commissioner_text(v: &Vocab, c: &Commissioner, rng: Rng) -> (String, String, String) {
    let mut w = Writer::new(v, rng);
    w.field = c.fields.trailing_zeros() as u8;
    let name = person_name(&mut w.rng);
    let org = &ORGS[c.org as usize];
    let colleges: Vec<&str> = org
        .2
        .iter()
        .filter(|(f, _)| c.fields & (1 << f) != 0)
        .map(|(_, col)| *col)
        .collect();
    let organization = if colleges.is_empty() {
        org.0.to_string()
    } else {
        format!("{}{}", org.0, w.pick(&colleges))
    };
    let mut topics = Vec::new();
    for f in 0..8u8 {
        if c.fields & (1 << f) != 0 {
            let k = w.rng.range(1, 2) as usize;
            let pool = &v.topics_by_field[f as usize];
            for i in w.rng.sample(pool.len(), k) {
                topics.push(pool[i]);
            }
        }
    }
    let ctx = CommCtx {
        topics,
        field: c.fields.trailing_zeros() as u8,
        org: org.0.to_string(),
        title: w.pick(ACADEMIC_TITLES),
    };
    let expertise = tidy(w.expand_pick(COMM_DESC, &ctx, comm_slot));
    (name, organization, expertise)
}

// ---------------------------------------------------------------- queries

const QUERY_WITH_PLACE: &[(&str, u8)] = &[
    ("想找做{topic}{svc}的{pkind}，最好在{dist}附近", 1),
    ("{dist}周边有没得做{obj}{svc}的", 1),
    ("{topic}相关{svc}，预算{budget}万，{dist}", 1),
    ("找{dist}的{svc}机构，方向是{topic}", 1),
    ("{dist}能驻厂的{topic}{svc}团队", 2),
    ("{obj} {svc} {dist}附近", 1),
];
const QUERY_NO_PLACE: &[&str] = &[
    "{topic} {svc} 哪里能做",
    "求推荐{topic}方向做{svc}的{pkind}",
    "{obj}要做{svc}，有没有靠谱的{pkind}",
    "有没有懂{topic}的技术经纪人，想做{svc}",
    "{svc} {topic} 重庆",
    "我们是做{obj}的，需要{svc}服务",
];

/// A free-text query and the hidden need-like spec it was written from.
pub(crate) fn query_text(v: &Vocab, rng: &mut Rng) -> (String, Spec) {
    let f = rng.weighted(&super::vocab::FIELD_WEIGHT) as u8;
    let topic = v.topic_in(rng, f);
    let service = rng.weighted(&super::vocab::NEED_SERVICE_WEIGHT) as u8;
    let with_place = rng.chance(0.5);
    let district = rng.weighted(&v.district_weights[f as usize]) as u8;
    let (tpl, onsite, place) = if with_place {
        let (mut t, mut o) = *rng.pick(QUERY_WITH_PLACE);
        if o == 2 && !matches!(service, 0 | 2 | 3) {
            (t, o) = QUERY_WITH_PLACE[0];
        }
        (t, o, Some(district))
    } else {
        (*rng.pick(QUERY_NO_PLACE), 0, None)
    };
    let ctx = NeedCtx {
        topic,
        other_topic: topic,
        service,
        other_service: service,
        district,
        onsite,
        budget: (rng.range(2, 40) * 5) as u32,
        scale: scale_pair(v, rng, topic),
    };
    let mut w = Writer::new(v, rng.clone());
    w.field = f;
    let text = w.expand(tpl, &ctx, need_slot);
    *rng = w.rng;
    (
        text,
        Spec {
            topic,
            service,
            district: place,
            onsite,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_check_matches_known_codes() {
        for code in [
            "91500120MA5FJJE981",
            "91500106MA5NQAEK9W",
            "91500111582601817Q",
        ] {
            let b = code.as_bytes();
            assert_eq!(credit_check(&b[..17]), b[17] as char, "{code}");
        }
    }

    #[test]
    fn tidy_removes_dangling_punctuation() {
        assert_eq!(tidy("甲。。乙，。".to_string()), "甲。乙。");
    }
}
