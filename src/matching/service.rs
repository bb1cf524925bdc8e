//! The matching service: one [`Matcher`] owns what every journey reads — the store, the
//! search index, the model registry, the feedback aggregates, the recent first screens
//! for exposure control — and the two locks of the process's matching work: the CPU gate
//! (one permit per core, first come first served) that every CPU-bound journey passes
//! (providers for a need, broker leads, gaps, enterprises for a commissioner, the
//! assignment plan, the overview), and the training lock (one training at a time).
//! The `api` handlers and the `cli` call it; it knows nothing of HTTP.

use super::brokers::{self, GAP_NEEDS, Gap, Lead};
use super::commissioners::{
    AssignScope, AssignmentPlan, CommissionerRanker, RankedEnterprise, Scope, plan_assignment,
    rank_enterprises,
};
use super::exposure::{Exposure, ExposurePolicy};
use super::overview::{self, Overview};
use super::providers::{
    Context, ExposureControl, MatchError, MatchRequest, MatchResponse, match_providers,
};
use super::training::{self, TrainOptions, TrainReport, TrainingError};
use crate::domain::access::Viewer;
use crate::domain::{Commissioner, Enterprise, Entity, EntityKind, Field, Need, Provider};
use crate::rank::registry::ModelRegistry;
use crate::rank::{FeedbackStats, Ranker, RankerName};
use crate::search::{IndexError, SearchIndex};
use crate::store::{ListFilter, Store};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use tokio::sync::Semaphore;

/// The matching service of one process; cheap to clone (the clones share everything).
#[derive(Clone, Debug)]
pub struct Matcher {
    store: Store,
    index: Arc<SearchIndex>,
    models: Arc<ModelRegistry>,
    stats: Arc<RwLock<FeedbackStats>>,
    exposure: Arc<Mutex<Exposure>>,
    exposure_policy: ExposurePolicy,
    /// The commissioner ranking's priority boost when a request gives none.
    priority_boost: f64,
    /// Permits for CPU-bound matching: one per core.
    gate: Arc<Semaphore>,
    /// Held while a model is trained.
    training: Arc<tokio::sync::Mutex<()>>,
}

impl Matcher {
    /// A service over these parts, with no recent first screens, a CPU gate of one permit
    /// per core and no training running. `stats` is shared with whoever keeps it up to
    /// date with the store (the application's follower).
    pub fn new(
        store: Store,
        index: Arc<SearchIndex>,
        models: Arc<ModelRegistry>,
        stats: Arc<RwLock<FeedbackStats>>,
        exposure_policy: ExposurePolicy,
    ) -> Matcher {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Matcher {
            store,
            index,
            models,
            stats,
            exposure: Arc::new(Mutex::new(Exposure::default())),
            exposure_policy,
            priority_boost: 0.0,
            gate: Arc::new(Semaphore::new(cores)),
            training: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// The search index matched against.
    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// The store read.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The ranker a request asks for: `learned` is the pinned version, else the active
    /// model, else (no model at all) the baseline.
    pub fn ranker(&self, name: RankerName, pin: Option<&str>) -> Result<Ranker, MatchError> {
        Ok(match (name, pin) {
            (RankerName::Baseline, _) => Ranker::Baseline,
            (RankerName::Bm25, _) => Ranker::Bm25,
            (RankerName::Learned, Some(v)) => match self.models.get(v)? {
                Some(m) => Ranker::Learned(m),
                None => return Err(MatchError::NoSuchModel(v.to_string())),
            },
            (RankerName::Learned, None) => match self.models.active() {
                Some(m) => Ranker::Learned(m),
                None => Ranker::Baseline,
            },
        })
    }

    /// The same service with this matching policy: how strongly exposure lowers scores,
    /// and the commissioner ranking's default priority boost (`duijie serve`'s settings).
    pub fn with_policy(self, exposure_policy: ExposurePolicy, priority_boost: f64) -> Matcher {
        Matcher {
            exposure_policy,
            priority_boost,
            ..self
        }
    }

    /// The commissioner ranking's priority boost when a request gives none.
    pub fn priority_boost(&self) -> f64 {
        self.priority_boost
    }

    /// Exposure control as configured, sharing this process's recent first screens.
    pub fn exposure_control(&self) -> ExposureControl {
        ExposureControl {
            policy: self.exposure_policy,
            state: self.exposure.clone(),
        }
    }

    /// The active model, when there is one.
    pub fn active_model(&self) -> Option<Arc<crate::rank::RankerModel>> {
        self.models.active()
    }

    /// A copy of the feedback aggregates as they are now (offline evaluation).
    pub fn stats_snapshot(&self) -> FeedbackStats {
        self.read_stats().clone()
    }

    fn read_stats(&self) -> RwLockReadGuard<'_, FeedbackStats> {
        self.stats.read().expect("stats lock")
    }

    /// Whether a viewer may see a need (see [`crate::domain::access`]): the feedback
    /// aggregates say whether the viewer's provider engaged with it.
    pub fn may_see(&self, viewer: &Viewer, need: &Need) -> bool {
        let stats = self.read_stats();
        viewer.may_see(need, |n, p| stats.pair(n, p).0)
    }

    /// Enterprises a commissioner serves now.
    pub fn commissioner_load(&self, commissioner: &str) -> u32 {
        self.read_stats().commissioner_load(commissioner)
    }

    /// Providers for a stored need or a free-text request, ranked and explained.
    pub async fn match_providers(&self, req: MatchRequest) -> Result<MatchResponse, MatchError> {
        match_providers(
            &self.store,
            &self.index,
            self.stats.clone(),
            &self.gate,
            req,
        )
        .await
    }

    /// Runs CPU-bound work through the gate on the blocking pool, with the feedback
    /// aggregates and a ranker.
    async fn blocking<T: Send + 'static>(
        &self,
        ranker: Ranker,
        work: impl FnOnce(Context<'_>, &SearchIndex) -> Result<T, IndexError> + Send + 'static,
    ) -> Result<T, MatchError> {
        let _permit = self.gate.acquire().await.map_err(IndexError::from)?;
        let stats = self.stats.clone();
        let index = self.index.clone();
        let out = tokio::task::spawn_blocking(move || {
            let stats = stats
                .read()
                .map_err(|_| IndexError::Poisoned("feedback stats"))?;
            let analyzer = index.analyzer().clone();
            let ctx = Context {
                ranker: &ranker,
                stats: &stats,
                analyzer: &analyzer,
            };
            work(ctx, &index)
        })
        .await
        .map_err(IndexError::from)??;
        Ok(out)
    }

    /// The commissioner ranker a name asks for: the active model's commissioner head for
    /// `learned` (the baseline when there is none).
    fn commissioner_ranker<T>(
        models: &ModelRegistry,
        name: RankerName,
        f: impl FnOnce(CommissionerRanker<'_>) -> T,
    ) -> T {
        let active = models.active();
        let ranker = match name {
            RankerName::Learned => match active.as_ref().and_then(|m| m.commissioner.as_ref()) {
                Some(head) => CommissionerRanker::Learned(head),
                None => CommissionerRanker::Baseline,
            },
            RankerName::Baseline => CommissionerRanker::Baseline,
            RankerName::Bm25 => CommissionerRanker::Bm25,
        };
        f(ranker)
    }

    /// The enterprises a commissioner should serve now, best first, at most `limit`, and
    /// the name of the commissioner ranker used.
    pub async fn enterprises_for(
        &self,
        commissioner: Commissioner,
        ranker: RankerName,
        include_neighbours: bool,
        priority_boost: f64,
        limit: usize,
    ) -> Result<(Vec<RankedEnterprise>, &'static str), MatchError> {
        let open = self.store.open_need_counts().await?;
        let models = self.models.clone();
        self.blocking(Ranker::Baseline, move |ctx, index| {
            Matcher::commissioner_ranker(&models, ranker, |r| {
                let scope = Scope::serving(ctx.stats, include_neighbours, priority_boost);
                let mut ranked = rank_enterprises(index, &commissioner, &open, scope, r)?;
                ranked.truncate(limit);
                Ok((ranked, r.name()))
            })
        })
        .await
    }

    /// A city-wide assignment of enterprises to commissioners (see
    /// [`super::commissioners::plan_assignment`]).
    pub async fn assign(
        &self,
        scope: AssignScope,
        ranker: RankerName,
    ) -> Result<AssignmentPlan, MatchError> {
        let commissioners: Vec<Commissioner> = self
            .all(EntityKind::Commissioner, &ListFilter::default())
            .await?
            .into_iter()
            .filter_map(|e| match e {
                Entity::Commissioner(c) => Some(c),
                _ => None,
            })
            .collect();
        let enterprises: HashMap<String, Enterprise> = self
            .all(EntityKind::Enterprise, &ListFilter::default())
            .await?
            .into_iter()
            .filter_map(|e| match e {
                Entity::Enterprise(e) => Some((e.id.to_string(), e)),
                _ => None,
            })
            .collect();
        let open = self.store.open_need_counts().await?;
        let models = self.models.clone();
        self.blocking(Ranker::Baseline, move |ctx, index| {
            Matcher::commissioner_ranker(&models, ranker, |r| {
                plan_assignment(
                    index,
                    &commissioners,
                    &enterprises,
                    &open,
                    ctx.stats,
                    &scope,
                    r,
                )
            })
        })
        .await
    }

    /// Leads for a broker with the active ranker, best first; `skip` are needs claimed by
    /// another broker.
    pub async fn leads(
        &self,
        broker: Provider,
        viewer: Viewer,
        skip: HashSet<String>,
        limit: usize,
    ) -> Result<Vec<Lead>, MatchError> {
        let ranker = self.ranker(RankerName::Learned, None)?;
        self.blocking(ranker, move |ctx, index| {
            brokers::leads(ctx, index, &broker, &viewer, &skip, limit)
        })
        .await
    }

    /// Open needs (at most [`GAP_NEEDS`] of those in the districts and fields, empty =
    /// any) whose best provider scores under `threshold` with the active ranker, worst
    /// first.
    pub async fn gaps(
        &self,
        viewer: Viewer,
        districts: Vec<String>,
        fields: Vec<Field>,
        threshold: f64,
        limit: usize,
    ) -> Result<Vec<Gap>, MatchError> {
        let ranker = self.ranker(RankerName::Learned, None)?;
        self.blocking(ranker, move |ctx, index| {
            let mut needs: Vec<Need> = brokers::open_needs(index, "", districts, fields)?
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            needs.truncate(GAP_NEEDS);
            brokers::gaps(ctx, index, needs, &viewer, threshold, limit)
        })
        .await
    }

    /// The programme overview of the open needs and the providers, and how many open
    /// needs there are.
    pub async fn overview(&self) -> Result<(Overview, usize), MatchError> {
        let open = ListFilter {
            enterprise_id: None,
            status: Some("open".into()),
        };
        let needs: Vec<Need> = self
            .all(EntityKind::Need, &open)
            .await?
            .into_iter()
            .filter_map(|e| match e {
                Entity::Need(n) => Some(n),
                _ => None,
            })
            .collect();
        let providers: Vec<Provider> = self
            .all(EntityKind::Provider, &ListFilter::default())
            .await?
            .into_iter()
            .filter_map(|e| match e {
                Entity::Provider(p) => Some(p),
                _ => None,
            })
            .collect();
        self.blocking(Ranker::Baseline, move |ctx, _| {
            Ok((
                overview::overview(&needs, &providers, ctx.stats),
                needs.len(),
            ))
        })
        .await
    }

    /// Trains, evaluates, writes and (maybe) promotes a model (see [`super::training`]);
    /// [`TrainingError::InProgress`] while another training of this process runs.
    pub async fn train(&self, opts: &TrainOptions) -> Result<TrainReport, TrainingError> {
        let _one = self
            .training
            .try_lock()
            .map_err(|_| TrainingError::InProgress)?;
        training::train(&self.store, &self.index, &self.models, opts).await
    }

    async fn all(
        &self,
        kind: EntityKind,
        filter: &ListFilter,
    ) -> Result<Vec<Entity>, crate::store::StoreError> {
        self.store.list_all(kind, filter).await
    }
}
