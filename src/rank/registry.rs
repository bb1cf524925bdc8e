//! The models a process knows: the ranker files in a models directory (`ranker-<version>.json`),
//! which one is active (`active.json`, written atomically), and the model shipped inside the
//! binary (used when a directory has no active model of its own). Swapping the active model
//! is one pointer store under a lock: requests in flight keep the `Arc` they started with.
//! Processes sharing a store also follow the active model published there
//! ([`ModelRegistry::adopt`], driven by `App::follow_model`); this module reads no SQL.

use super::model::{ModelError, RankerMetrics, RankerModel, TrainingSummary};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// The model shipped in the binary (trained on the demo world; see `models/MODEL_CARD.md`).
pub const SHIPPED_MODEL: Option<&str> = Some(include_str!("../../models/ranker-default-2.json"));

/// A model as listed by `GET /v1/models`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModelInfo {
    /// Version.
    pub version: String,
    /// Creation time.
    pub created_at: String,
    /// Whether it is the active one.
    pub active: bool,
    /// `file` (in the models directory) or `shipped` (inside the binary).
    pub source: &'static str,
    /// Held-out metrics recorded at training.
    pub metrics: BTreeMap<String, RankerMetrics>,
    /// Training data summary.
    pub training: TrainingSummary,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ActivePointer {
    version: String,
}

/// Known models and the active one.
#[derive(Debug)]
pub struct ModelRegistry {
    dir: PathBuf,
    active: RwLock<Option<Arc<RankerModel>>>,
    loaded: Mutex<HashMap<String, Arc<RankerModel>>>,
}

impl ModelRegistry {
    /// Opens a models directory (created if missing) and loads its active model, or the
    /// shipped one when it has none. A broken active file is an error (better than
    /// silently ranking with something else).
    pub fn open(dir: &Path) -> Result<ModelRegistry, ModelError> {
        std::fs::create_dir_all(dir).map_err(|source| ModelError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let reg = ModelRegistry {
            dir: dir.to_path_buf(),
            active: RwLock::new(None),
            loaded: Mutex::new(HashMap::new()),
        };
        reg.reload()?;
        Ok(reg)
    }

    /// The models directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, version: &str) -> PathBuf {
        self.dir.join(format!("ranker-{version}.json"))
    }

    /// The shipped model, parsed once per process.
    pub fn shipped() -> Result<Option<Arc<RankerModel>>, ModelError> {
        static SHIPPED: std::sync::OnceLock<Result<Option<Arc<RankerModel>>, String>> =
            std::sync::OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                SHIPPED_MODEL
                    .map(|s| RankerModel::from_json(s).map(Arc::new))
                    .transpose()
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(ModelError::Invalid)
    }

    /// The active model (`None`: rank with the baseline).
    pub fn active(&self) -> Option<Arc<RankerModel>> {
        self.active.read().expect("active-model lock").clone()
    }

    /// A model by version (the active one, a file in the directory, or the shipped one).
    pub fn get(&self, version: &str) -> Result<Option<Arc<RankerModel>>, ModelError> {
        if let Some(a) = self.active().filter(|a| a.version == version) {
            return Ok(Some(a));
        }
        if let Some(m) = self.loaded.lock().expect("model cache lock").get(version) {
            return Ok(Some(m.clone()));
        }
        let path = self.file(version);
        let model = if valid_version(version) && path.exists() {
            Some(Arc::new(RankerModel::load(&path)?))
        } else {
            Self::shipped()?.filter(|m| m.version == version)
        };
        if let Some(m) = &model {
            self.loaded
                .lock()
                .expect("model cache lock")
                .insert(version.to_string(), m.clone());
        }
        Ok(model)
    }

    /// Re-reads `active.json` and swaps the active model atomically. Returns its version.
    pub fn reload(&self) -> Result<Option<String>, ModelError> {
        let pointer = self.dir.join("active.json");
        let model = if pointer.exists() {
            let text = std::fs::read_to_string(&pointer).map_err(|source| ModelError::Io {
                path: pointer.display().to_string(),
                source,
            })?;
            let p: ActivePointer = serde_json::from_str(&text)
                .map_err(|e| ModelError::Invalid(format!("active.json: {e}")))?;
            let m = RankerModel::load(&self.file(&p.version))?;
            Some(Arc::new(m))
        } else {
            Self::shipped()?
        };
        let version = model.as_ref().map(|m| m.version.clone());
        *self.active.write().expect("active-model lock") = model;
        tracing::info!(version = ?version, "active model loaded");
        Ok(version)
    }

    /// Writes a model file into the directory (it does not become active).
    pub fn save(&self, model: &RankerModel) -> Result<PathBuf, ModelError> {
        let path = self.file(&model.version);
        write_atomically(&path, model.to_json().as_bytes())?;
        Ok(path)
    }

    /// Makes a saved model the active one (pointer written atomically, then swapped in).
    pub fn promote(&self, version: &str) -> Result<(), ModelError> {
        let model = RankerModel::load(&self.file(version))?;
        let pointer = serde_json::to_vec(&ActivePointer {
            version: version.to_string(),
        })
        .expect("pointer serialises");
        write_atomically(&self.dir.join("active.json"), &pointer)?;
        *self.active.write().expect("active-model lock") = Some(Arc::new(model));
        tracing::info!(version, "model promoted");
        Ok(())
    }

    /// The file of a model in this directory, as published for other processes sharing
    /// the store; `None` for a model that has no file here (the shipped one).
    pub fn file_text(&self, version: &str) -> Result<Option<String>, ModelError> {
        let path = self.file(version);
        if !valid_version(version) || !path.exists() {
            return Ok(None);
        }
        std::fs::read_to_string(&path)
            .map(Some)
            .map_err(|source| ModelError::Io {
                path: path.display().to_string(),
                source,
            })
    }

    /// Makes the model another process published the active one here: `doc` is its file
    /// (written into this directory when missing), `None` means a model this process
    /// already has (a file here, or the shipped one). Like [`ModelRegistry::promote`], the
    /// pointer is written atomically and the swap is one store under the lock.
    pub fn adopt(&self, version: &str, doc: Option<&str>) -> Result<(), ModelError> {
        if !valid_version(version) {
            return Err(ModelError::Invalid(format!(
                "published model version {version:?} is not a valid name"
            )));
        }
        let model = match doc {
            Some(text) => {
                let m = RankerModel::from_json(text)?;
                if m.version != version {
                    return Err(ModelError::Invalid(format!(
                        "published model says version {} instead of {version}",
                        m.version
                    )));
                }
                if !self.file(version).exists() {
                    write_atomically(&self.file(version), text.as_bytes())?;
                }
                Arc::new(m)
            }
            None => self.get(version)?.ok_or_else(|| {
                ModelError::Invalid(format!("published model {version} is not known here"))
            })?,
        };
        let pointer = self.dir.join("active.json");
        if self.file(version).exists() {
            let bytes = serde_json::to_vec(&ActivePointer {
                version: version.to_string(),
            })
            .expect("pointer serialises");
            write_atomically(&pointer, &bytes)?;
        } else if pointer.exists() {
            // The shipped model is what a directory without a pointer uses.
            std::fs::remove_file(&pointer).map_err(|source| ModelError::Io {
                path: pointer.display().to_string(),
                source,
            })?;
        }
        self.loaded
            .lock()
            .expect("model cache lock")
            .insert(version.to_string(), model.clone());
        *self.active.write().expect("active-model lock") = Some(model);
        tracing::info!(version, "published model adopted");
        Ok(())
    }

    /// Every model: files in the directory and the shipped one, newest first.
    pub fn list(&self) -> Result<Vec<ModelInfo>, ModelError> {
        let active = self.active().map(|m| m.version.clone());
        let mut out = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(|source| ModelError::Io {
            path: self.dir.display().to_string(),
            source,
        })?;
        let mut seen = std::collections::HashSet::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(version) = name
                .strip_prefix("ranker-")
                .and_then(|n| n.strip_suffix(".json"))
            else {
                continue;
            };
            match self.get(version) {
                Ok(Some(m)) => {
                    seen.insert(m.version.clone());
                    out.push(info(
                        &m,
                        active.as_deref() == Some(m.version.as_str()),
                        "file",
                    ));
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(file = %name, error = %e, "unreadable model file skipped"),
            }
        }
        if let Some(m) = Self::shipped()?
            && !seen.contains(&m.version)
        {
            {
                out.push(info(
                    &m,
                    active.as_deref() == Some(m.version.as_str()),
                    "shipped",
                ));
            }
        }
        out.sort_by(|a, b| b.version.cmp(&a.version));
        Ok(out)
    }
}

fn info(m: &RankerModel, active: bool, source: &'static str) -> ModelInfo {
    ModelInfo {
        version: m.version.clone(),
        created_at: m.created_at.clone(),
        active,
        source,
        metrics: m.metrics.clone(),
        training: m.training.clone(),
    }
}

/// Whether a version can name a file in the directory.
fn valid_version(version: &str) -> bool {
    !version.is_empty()
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let tmp = path.with_extension("json.tmp");
    let io = |source| ModelError::Io {
        path: path.display().to_string(),
        source,
    };
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}
