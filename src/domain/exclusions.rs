//! Scopes a text rules out: a provider's "不承接…", "…请勿提交", "不做…", "…除外",
//! "…不在服务范围", and a need's "不考虑…". A text is cut into clauses (at 。；，! ? and
//! line breaks); a clause with an exclusion cue is excluded as a whole, the rest is what
//! the text offers or asks. Matching a need against words that occur only in a provider's
//! excluded clauses is a reason against it, never a reason for it.

use super::phrases::PhraseSet;
use std::sync::OnceLock;

/// Words that make a clause an exclusion.
const CUES: &[&str] = &[
    "不承接",
    "不接单",
    "不接受",
    "不受理",
    "不做",
    "不提供",
    "不涉及",
    "不开展",
    "不包括",
    "不包含",
    "不在服务范围",
    "不在范围",
    "不在我们",
    "不属于服务",
    "不适合",
    "不适用",
    "不支持",
    "请勿",
    "勿扰",
    "除外",
    "暂不",
    "无法承接",
    "不能做",
    "做不了",
    "不考虑",
    "不要",
    "不需要",
    "谢绝",
    "恕不",
    "概不",
    "不再承接",
];

/// Words around an exclusion that name nothing themselves.
const FILLER: &[&str] = &[
    "相关项目",
    "相关业务",
    "相关需求",
    "相关的",
    "相关",
    "项目",
    "业务",
    "需求",
    "提交",
    "服务范围",
    "范围",
    "我们",
    "本平台",
    "本中心",
    "本机构",
    "平台",
    "目前",
    "以上",
    "等",
    "也",
    "均",
    "都",
    "的",
    "类",
    "请",
];

fn cues() -> &'static PhraseSet {
    static SET: OnceLock<PhraseSet> = OnceLock::new();
    SET.get_or_init(|| PhraseSet::new(CUES))
}

/// A text cut into what it offers (or asks) and what it rules out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scopes {
    /// Clauses without an exclusion cue, joined by '。'.
    pub positive: String,
    /// Clauses with one, each as written.
    pub excluded: Vec<String>,
}

impl Scopes {
    /// Whether `word` occurs in an excluded clause and nowhere in the positive ones.
    pub fn excludes(&self, word: &str) -> bool {
        !word.is_empty()
            && !self.positive.contains(word)
            && self.excluded.iter().any(|c| c.contains(word))
    }

    /// What the excluded clauses name, item by item: each clause without its cue words
    /// and filler ("相关项目", "等", "也", …), split at 、 和 及 与 或 /. "硝化、重氮化等
    /// 危险工艺项目不承接" gives 硝化, 重氮化, 危险工艺.
    pub fn items(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for clause in &self.excluded {
            let mut c = clause.clone();
            for w in CUES.iter().chain(FILLER) {
                c = c.replace(w, "、");
            }
            for item in c.split([
                '、', '和', '及', '与', '或', '/', '／', ' ', '（', '）', '(', ')',
            ]) {
                let item =
                    item.trim_matches(|ch: char| ch.is_ascii_punctuation() || ch.is_whitespace());
                if item.chars().count() >= 2 && !out.iter().any(|o| o == item) {
                    out.push(item.to_string());
                }
            }
        }
        out
    }

    /// The excluded clause that mentions `word`, if any.
    pub fn clause_with(&self, word: &str) -> Option<&str> {
        self.excluded
            .iter()
            .find(|c| c.contains(word))
            .map(String::as_str)
    }
}

/// Cuts `text` into clauses and sorts them by whether they exclude.
pub fn scopes(text: &str) -> Scopes {
    let mut out = Scopes::default();
    // Sentences (。；! ? and newlines) first, then commas inside a sentence: a cue excludes
    // its comma clause, and list items joined by 、 stay in that clause.
    for sentence in text.split(['。', '；', ';', '！', '!', '？', '?', '\n'].as_slice()) {
        for clause in sentence.split(['，', ',', '：', ':'].as_slice()) {
            let clause = clause.trim();
            if clause.is_empty() {
                continue;
            }
            if cues().present(clause).iter().any(|p| *p) {
                out.excluded.push(clause.to_string());
            } else {
                if !out.positive.is_empty() {
                    out.positive.push('。');
                }
                out.positive.push_str(clause);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_a_provider_declines() {
        let s = scopes(
            "专注锂电正极材料放大，可做扣电评价。负极材料、电解液不在服务范围。动力电池回收相关项目请勿提交",
        );
        assert!(s.excludes("负极材料"));
        assert!(s.excludes("电解液"));
        assert!(s.excludes("动力电池回收"));
        assert!(!s.excludes("正极材料"));
        assert!(s.positive.contains("扣电评价"));
        // A word offered in one clause and declined in another is offered.
        let s = scopes("承接电池包测试，电池回收不做");
        assert!(!s.excludes("电池"));
        assert!(s.excludes("电池回收"));
        let s = scopes("硝化、重氮化等重点监管危险工艺项目不承接，聚合物及其制品也不做。");
        let items = s.items();
        assert!(items.contains(&"硝化".to_string()), "{items:?}");
        assert!(items.contains(&"重氮化".to_string()), "{items:?}");
        assert!(items.contains(&"聚合物".to_string()), "{items:?}");
        let s = scopes("动力电池回收相关项目请勿提交");
        assert_eq!(s.items(), vec!["动力电池回收".to_string()]);
    }

    #[test]
    fn a_need_rules_out_by_its_own_words() {
        let s = scopes("想找GMP中试车间，不考虑省外机构，最好在荣昌");
        assert!(s.excludes("省外"));
        assert!(s.positive.contains("GMP中试车间"));
        assert_eq!(scopes("不锈钢管材焊接工艺").excluded, Vec::<String>::new());
    }
}
