// The page's own words for codes the server sends that are not domain vocabularies:
// ranking features, rejection reasons, feedback buttons, provider qualifications, rankers
// and overview totals. (Fields, services, districts and the other domain tables come
// from the server: vocab.js.)
export const FEATURES = {
  text_bm25: '文本相关度', service_match: '服务对口', field_overlap: '领域重合', geo: '地理距离',
  geo_if_near: '就近要求', type_prior: '机构类型', tfidf_cosine: '关键词相似', lsa_cosine: '语义相似',
  related_service: '相近服务', outside_city: '市外', load: '当前负荷', at_capacity: '满负荷',
  track_record: '过往成功率', qualified: '资质', concept_overlap: '技术概念重合', excluded: '声明不承接',
  expertise_fit: '专长契合', need_fit: '专长与需求契合',
};
export const REASONS = {
  wrong_service: '服务不对口', too_far: '距离太远', no_capacity: '没有档期',
  too_expensive: '价格太高', other: '其他',
};
export const EVENTS = { contacted: '联系', accepted: '接受', rejected: '不合适' };
export const QUALS = {
  national_tech_transfer_agency: '国家技术转移示范机构', municipal_tech_transfer_agency: '市级技术转移示范机构',
  municipal_pilot_platform: '市级中试熟化平台', cma: '检验检测机构资质认定（CMA）',
  cnas: '实验室认可（CNAS）', patent_agency: '专利代理机构', broker_junior: '初级技术经纪人',
  broker_intermediate: '中级技术经纪人', broker_senior: '高级技术经纪人',
};
export const RANKERS = { learned: '学习排序模型', baseline: '基线规则', bm25: '文本检索' };
export const TOTALS = {
  enterprises: '企业', needs: '需求', open_needs: '待对接需求', providers: '服务机构',
  free_providers: '有余力的机构', commissioners: '科技专员', gaps: '缺口需求', feedback: '反馈',
  impressions: '曝光', contacted: '联系', accepted: '接受', deals: '成交', match_rate: '匹配率',
  acceptance_rate: '接受率', matched_needs: '已匹配需求', closed_needs: '已完成需求',
  open_needs_matched: '已有接受的待对接需求', providers_free: '有余力的机构', providers_at_capacity: '满负荷的机构',
};

