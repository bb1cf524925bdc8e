//! The one place where errors become HTTP: every failure is an
//! `application/problem+json` body with a stable machine `code`, a Chinese `title`
//! and `detail`, and (where it applies) the offending `field` or `line`. Internal
//! details are logged, never sent.

use crate::app::AppError;
use crate::ingest::ImportError;
use crate::matching::MatchError;
use crate::search::IndexError;
use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An API failure.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    field: Option<String>,
    retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            title,
            detail: detail.into(),
            field: None,
            retry_after: None,
        }
    }

    /// 400: a parameter or body is wrong; `code` says how.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, "请求参数有误", detail)
    }

    /// 422: the record breaks a rule of the data model.
    pub fn invalid(
        code: &'static str,
        field: Option<String>,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError {
            field,
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                "记录不符合数据规范",
                detail,
            )
        }
    }

    /// 404 for a record.
    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "记录不存在",
            format!("{what}“{id}”不存在"),
        )
    }

    /// 404 for a path.
    pub fn no_route() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_route",
            "没有这个接口",
            "请求的路径不存在，接口列表见 README 与 api.md",
        )
    }

    /// 405.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "不支持的请求方法",
            "该路径不支持此 HTTP 方法",
        )
    }

    /// 409: the request conflicts with stored data.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, "与现有数据冲突", detail)
    }

    /// 413.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "请求体过大",
            format!("请求体超过上限 {limit} 字节；大文件请用 duijie import 或分批提交"),
        )
    }

    /// 415.
    pub fn unsupported_media(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "不支持的内容类型",
            detail,
        )
    }

    /// 500: something of ours failed; the detail is logged, not sent.
    pub fn internal(err: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %err, "request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "服务内部错误",
            "服务内部出错，已记录日志；请稍后重试或联系管理员",
        )
    }

    /// 503: the service is temporarily unable (e.g. the store is locked).
    pub fn unavailable(err: &dyn std::fmt::Display) -> ApiError {
        tracing::warn!(error = %err, "service unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "服务暂时不可用",
            "服务暂时繁忙，请稍后重试",
        )
    }

    /// 503 from `/readyz` and for writes the service cannot keep.
    pub fn not_ready(why: &crate::app::NotReady) -> ApiError {
        use crate::app::NotReady;
        let (code, detail) = match why {
            NotReady::StoreFileGone(path) => {
                tracing::error!(path = %path.display(), "store file missing; refusing writes");
                (
                    "store_file_missing",
                    "存储文件在服务运行期间被删除或替换，写入已停止以免丢失；请恢复数据后重启服务"
                        .to_string(),
                )
            }
            NotReady::StoreDown => ("store_unavailable", "存储暂时无法访问".to_string()),
            NotReady::IndexFailing { lag } => (
                "index_failing",
                format!("搜索索引写入失败，正在自动重试；尚有 {lag} 条变更未能检索"),
            ),
        };
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            "服务暂时不可用",
            detail,
        )
    }

    /// 401: no key, or a wrong or revoked one.
    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "需要有效的 API 密钥",
            detail,
        )
    }

    /// 403: the key's role may not do this.
    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "没有权限", detail)
    }

    /// 429: over the key's rate; retry after `seconds`.
    pub fn rate_limited(seconds: u64) -> ApiError {
        ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "请求过于频繁",
                format!("请求过于频繁，请 {seconds} 秒后再试"),
            )
        }
    }

    /// Names the offending field.
    pub fn with_field(mut self, field: &str) -> ApiError {
        self.field = Some(field.to_string());
        self
    }

    /// The machine code (tests, logs).
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: format!("https://duijie.example/problems/{}", self.code),
            title: self.title,
            status: self.status.as_u16(),
            code: self.code,
            detail: &self.detail,
            field: self.field.as_deref(),
        };
        let mut resp = (
            self.status,
            serde_json::to_vec(&body).expect("problem serialises"),
        )
            .into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert("x-error-code", HeaderValue::from_static(self.code));
        if let Some(s) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::HasDependents { id, needs } => ApiError::conflict(
                "has_dependents",
                format!("企业“{id}”还有 {needs} 条需求，请先删除或转移这些需求"),
            ),
            ref busy if busy.is_busy() => ApiError::unavailable(busy),
            other => ApiError::internal(&other),
        }
    }
}

impl From<IndexError> for ApiError {
    fn from(e: IndexError) -> ApiError {
        match e {
            IndexError::Store(s) => s.into(),
            other => ApiError::internal(&other),
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> ApiError {
        match e {
            ImportError::Store(s) => s.into(),
            ImportError::CsvHeader(d) => ApiError::bad_request("malformed_csv", d),
            other => ApiError::internal(&other),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        match e {
            AppError::Store(s) => s.into(),
            AppError::Index(i) => i.into(),
            AppError::Import(i) => i.into(),
            AppError::NoSuchModel(v) => ApiError::not_found("模型版本", &v),
            AppError::Model(m) => ApiError::internal(&m),
        }
    }
}

impl From<MatchError> for ApiError {
    fn from(e: MatchError) -> ApiError {
        match e {
            MatchError::NothingToMatch => ApiError::bad_request("missing_field", e.to_string()),
            MatchError::TextTooLong(_) => ApiError::bad_request("text_too_long", e.to_string()),
            MatchError::NeedNotFound(id) => ApiError::not_found("需求", &id),
            MatchError::Store(s) => s.into(),
            MatchError::Index(i) => i.into(),
        }
    }
}
