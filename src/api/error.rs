//! The one place where errors become HTTP: every failure is an
//! `application/problem+json` body with a stable machine `code`, a Chinese `title`
//! and `detail`, and (where it applies) the offending `field` or `line`. Internal
//! details are logged, never sent. Every code is a [`Code`]; [`status_and_title`] is
//! its table of statuses and titles.

use crate::app::AppError;
use crate::ingest::ImportError;
use crate::matching::MatchError;
use crate::matching::training::TrainingError;
use crate::search::IndexError;
use crate::store::StoreError;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use crate::error_code::{Code, Coded};

/// The title of a 400 answer.
const BAD_REQUEST_TITLE: &str = "请求参数有误";
/// The title of a 422 answer.
const INVALID_RECORD_TITLE: &str = "记录不符合数据规范";
/// The title of a 409 answer.
const CONFLICT_TITLE: &str = "与现有数据冲突";

/// Each code's HTTP status and title. A code for a value that breaks a rule is `400
/// 请求参数有误` in a request's parameters (this table) and `422 记录不符合数据规范` in a
/// record ([`ApiError::invalid`]); warnings on imported records are never an answer's
/// code, and are listed as 422 for completeness.
pub fn status_and_title(code: Code) -> (StatusCode, &'static str) {
    use Code::*;
    match code {
        InvalidValue | MissingField | WrongType | InvalidId | InvalidDistrict | UnknownKind
        | UnknownFieldCode | UnknownServiceCode | UnknownStatus | UnknownVisibility
        | UnknownProviderType | UnknownCertification | UnknownEvent | UnknownActor
        | InvalidCreditCode | UnknownReference | InvalidEncoding | MalformedJson | MalformedCsv
        | UnknownRanker | InvalidJson | UnreadableBody | InvalidQuery | InvalidPath
        | NotAnObject | QueryTooLong | TextTooLong | BadCursor | InvalidCursor | IdMismatch
        | KindMismatch | NotABroker | MalformedRequest | BadRequest => {
            (StatusCode::BAD_REQUEST, BAD_REQUEST_TITLE)
        }
        UnknownPlace | UnknownKey | CreditCodeChecksum => {
            (StatusCode::UNPROCESSABLE_ENTITY, INVALID_RECORD_TITLE)
        }
        Unauthorized => (StatusCode::UNAUTHORIZED, "需要有效的 API 密钥"),
        Forbidden => (StatusCode::FORBIDDEN, "没有权限"),
        NotFound => (StatusCode::NOT_FOUND, "记录不存在"),
        NoSuchRoute => (StatusCode::NOT_FOUND, "没有这个接口"),
        MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "不支持的请求方法"),
        RequestTimeout => (StatusCode::REQUEST_TIMEOUT, "请求超时"),
        HasDependents | ModelUnreadable | TrainingInProgress | NotEnoughFeedback
        | LeadAlreadyClaimed | LeadNotOpen => (StatusCode::CONFLICT, CONFLICT_TITLE),
        LengthRequired => (StatusCode::LENGTH_REQUIRED, "缺少请求体长度"),
        BodyTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "请求体过大"),
        UriTooLong => (StatusCode::URI_TOO_LONG, "请求地址过长"),
        UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "不支持的内容类型"),
        RateLimited => (StatusCode::TOO_MANY_REQUESTS, "请求过于频繁"),
        TooManyAuthFailures => (StatusCode::TOO_MANY_REQUESTS, "认证失败次数过多"),
        HeadersTooLarge => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "请求头过大"),
        InternalError => (StatusCode::INTERNAL_SERVER_ERROR, "服务内部错误"),
        Unavailable | StoreFileMissing | StoreUnavailable | IndexFailing => {
            (StatusCode::SERVICE_UNAVAILABLE, "服务暂时不可用")
        }
        RequestFailed => (StatusCode::BAD_REQUEST, "请求失败"),
    }
}

/// An API failure.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: Code,
    title: &'static str,
    detail: String,
    field: Option<String>,
    retry_after: Option<u64>,
}

/// Every error: application/problem+json with a stable machine `code` and a Chinese
/// `title` and `detail`.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Problem<'a> {
    /// A URI naming the problem type (`…/problems/{code}`).
    #[serde(rename = "type")]
    kind: String,
    /// Chinese title for the status.
    title: &'a str,
    /// The HTTP status.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// Stable machine code, in English.
    #[schema(pattern = "^[a-z0-9_]+$")]
    code: &'a str,
    /// What went wrong, in Chinese.
    detail: &'a str,
    /// The offending field, where it applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    /// An error with its code's status and title.
    pub fn new(code: Code, detail: impl Into<String>) -> ApiError {
        let (status, title) = status_and_title(code);
        ApiError::with_status(status, code, title, detail)
    }

    fn with_status(
        status: StatusCode,
        code: Code,
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
    pub fn bad_request(code: Code, detail: impl Into<String>) -> ApiError {
        ApiError::with_status(StatusCode::BAD_REQUEST, code, BAD_REQUEST_TITLE, detail)
    }

    /// 422: the record breaks a rule of the data model; 400 when the code is
    /// `wrong_type` (a value of the wrong JSON type: a malformed request, never coerced).
    pub fn invalid(code: Code, field: Option<String>, detail: impl Into<String>) -> ApiError {
        let (status, title) = if code == Code::WrongType {
            (StatusCode::BAD_REQUEST, BAD_REQUEST_TITLE)
        } else {
            (StatusCode::UNPROCESSABLE_ENTITY, INVALID_RECORD_TITLE)
        };
        ApiError {
            field,
            ..ApiError::with_status(status, code, title, detail)
        }
    }

    /// 404 for a record.
    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(Code::NotFound, format!("{what}“{id}”不存在"))
    }

    /// 404 for a path.
    pub fn no_route() -> ApiError {
        ApiError::new(
            Code::NoSuchRoute,
            "请求的路径不存在，接口列表见 GET /openapi.json",
        )
    }

    /// 405.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(Code::MethodNotAllowed, "该路径不支持此 HTTP 方法")
    }

    /// 409: the request conflicts with stored data.
    pub fn conflict(code: Code, detail: impl Into<String>) -> ApiError {
        ApiError::with_status(StatusCode::CONFLICT, code, CONFLICT_TITLE, detail)
    }

    /// 413.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            Code::BodyTooLarge,
            format!("请求体超过上限 {limit} 字节；大文件请用 duijie import 或分批提交"),
        )
    }

    /// 415.
    pub fn unsupported_media(detail: impl Into<String>) -> ApiError {
        ApiError::new(Code::UnsupportedMediaType, detail)
    }

    /// 500: something of ours failed; the detail is logged, not sent.
    pub fn internal(err: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %err, "request failed");
        ApiError::new(
            Code::InternalError,
            "服务内部出错，已记录日志；请稍后重试或联系管理员",
        )
    }

    /// 503: the service is temporarily unable (e.g. the store is locked).
    pub fn unavailable(err: &dyn std::fmt::Display) -> ApiError {
        tracing::warn!(error = %err, "service unavailable");
        ApiError::new(Code::Unavailable, "服务暂时繁忙，请稍后重试")
    }

    /// 503 from `/readyz` and for writes the service cannot keep.
    pub fn not_ready(why: &crate::app::NotReady) -> ApiError {
        use crate::app::NotReady;
        let (code, detail) = match why {
            NotReady::StoreFileGone(path) => {
                tracing::error!(path = %path.display(), "store file missing; refusing writes");
                (
                    Code::StoreFileMissing,
                    "存储文件在服务运行期间被删除或替换，写入已停止以免丢失；请恢复数据后重启服务"
                        .to_string(),
                )
            }
            NotReady::StoreDown => (Code::StoreUnavailable, "存储暂时无法访问".to_string()),
            NotReady::IndexFailing { lag } => (
                Code::IndexFailing,
                format!("搜索索引写入失败，正在自动重试；尚有 {lag} 条变更未能检索"),
            ),
        };
        ApiError::new(code, detail)
    }

    /// 401: no key, or a wrong or revoked one.
    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(Code::Unauthorized, detail)
    }

    /// 403: the key's role may not do this.
    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(Code::Forbidden, detail)
    }

    /// 429: over the key's rate; retry after `seconds`.
    pub fn rate_limited(seconds: u64) -> ApiError {
        ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                Code::RateLimited,
                format!("请求过于频繁，请 {seconds} 秒后再试"),
            )
        }
    }

    /// 429: too many failed authentications from this client address.
    pub fn too_many_auth_failures(seconds: u64) -> ApiError {
        ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                Code::TooManyAuthFailures,
                format!("来自此地址的认证失败次数过多，请 {seconds} 秒后再试"),
            )
        }
    }

    /// 408: the request took longer than `seconds`.
    pub fn timeout(seconds: u64) -> ApiError {
        ApiError::new(
            Code::RequestTimeout,
            format!("请求处理超过 {seconds} 秒，已中止；请缩小请求范围后重试"),
        )
    }

    /// 414: the request target is longer than `limit` bytes.
    pub fn uri_too_long(limit: usize) -> ApiError {
        ApiError::new(
            Code::UriTooLong,
            format!(
                "请求地址（路径和查询参数）超过上限 {limit} 字节；长查询请改用 POST（如 /v1/match）"
            ),
        )
    }

    /// 431: the request headers are larger than `limit` bytes or more than `count`.
    pub fn headers_too_large(limit: usize, count: usize) -> ApiError {
        ApiError::new(
            Code::HeadersTooLarge,
            format!("请求头超过上限（共 {limit} 字节、{count} 个）"),
        )
    }

    /// Any other error status from a layer that is not ours, with a code for its status.
    fn from_status(status: StatusCode) -> ApiError {
        let (code, detail) = match status.as_u16() {
            400 => (Code::BadRequest, "请求格式有误"),
            401 => (Code::Unauthorized, "需要有效的 API 密钥"),
            403 => (Code::Forbidden, "没有权限"),
            404 => (Code::NoSuchRoute, "请求的路径不存在"),
            405 => (Code::MethodNotAllowed, "该路径不支持此 HTTP 方法"),
            408 => (Code::RequestTimeout, "请求超时，已中止"),
            411 => (Code::LengthRequired, "请求需要 Content-Length"),
            413 => (Code::BodyTooLarge, "请求体超过上限"),
            414 => (Code::UriTooLong, "请求地址过长"),
            415 => (Code::UnsupportedMediaType, "不支持的内容类型"),
            422 => (Code::InvalidValue, "请求内容不符合规范"),
            429 => (Code::RateLimited, "请求过于频繁，请稍后再试"),
            431 => (Code::HeadersTooLarge, "请求头过大"),
            503 => (Code::Unavailable, "服务暂时繁忙，请稍后重试"),
            s if s >= 500 => (Code::InternalError, "服务内部出错，已记录日志"),
            _ => (Code::RequestFailed, "请求未能完成"),
        };
        let title = if status == StatusCode::UNPROCESSABLE_ENTITY {
            INVALID_RECORD_TITLE
        } else {
            status_and_title(code).1
        };
        ApiError::with_status(status, code, title, detail)
    }

    /// Names the offending field.
    pub fn with_field(mut self, field: &str) -> ApiError {
        self.field = Some(field.to_string());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine code (tests, logs).
    pub fn code(&self) -> Code {
        self.code
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: format!("https://duijie.example/problems/{}", self.code),
            title: self.title,
            status: self.status.as_u16(),
            code: self.code.as_str(),
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
        headers.insert("x-error-code", HeaderValue::from_static(self.code.as_str()));
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
                Code::HasDependents,
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
            ImportError::CsvHeader(d) => ApiError::bad_request(Code::MalformedCsv, d),
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
            MatchError::NothingToMatch => ApiError::bad_request(Code::MissingField, e.to_string()),
            MatchError::TextTooLong(_) => ApiError::bad_request(Code::TextTooLong, e.to_string()),
            MatchError::NeedNotFound(id) => ApiError::not_found("需求", &id),
            MatchError::Store(s) => s.into(),
            MatchError::Index(i) => i.into(),
            MatchError::NoSuchModel(v) => ApiError::not_found("模型版本", &v),
            MatchError::Model(m) => ApiError::internal(&m),
        }
    }
}

/// A value a domain parser refused, in a request's parameters: 400 with the parser's code.
impl From<Coded> for ApiError {
    fn from(e: Coded) -> ApiError {
        ApiError::bad_request(e.code, e.message)
    }
}

impl From<TrainingError> for ApiError {
    fn from(e: TrainingError) -> ApiError {
        match e {
            // Too little feedback, or a fit that fails on it: the data's state, a conflict.
            TrainingError::Fit(msg) => {
                ApiError::conflict(Code::NotEnoughFeedback, format!("无法训练：{msg}"))
            }
            // One training at a time per process.
            TrainingError::InProgress => {
                ApiError::conflict(Code::TrainingInProgress, "已有训练任务在进行，请稍后再试")
            }
            // Anything else — a panicked or cancelled worker included — is a failure of
            // ours, not a lack of data.
            other => ApiError::internal(&other),
        }
    }
}

/// A whole HTTP/1.1 answer (head and problem+json body, closing the connection) for a
/// request hyper refused before any of our code ran (see `api::conn`).
pub(super) fn bare_answer(status: u16) -> Vec<u8> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let e = match status {
        StatusCode::URI_TOO_LONG => ApiError::uri_too_long(MAX_URI_BYTES),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ApiError::headers_too_large(MAX_HEADER_BYTES, MAX_HEADERS)
        }
        StatusCode::BAD_REQUEST => ApiError::bad_request(
            Code::MalformedRequest,
            "请求不是合法的 HTTP/1.1（请求行或请求头格式有误）",
        ),
        other => ApiError::from_status(other),
    };
    let body = serde_json::to_vec(&Problem {
        kind: format!("https://duijie.example/problems/{}", e.code),
        title: e.title,
        status: e.status.as_u16(),
        code: e.code.as_str(),
        detail: &e.detail,
        field: None,
    })
    .expect("problem serialises");
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/problem+json\r\nx-error-code: {}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        e.code,
        body.len()
    )
    .into_bytes();
    out.extend(body);
    out
}

/// Longest request target (path and query) accepted: 8 KiB; longer is `414 uri_too_long`.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Largest header block accepted: 32 KiB in at most 64 headers; more is
/// `431 headers_too_large`. (hyper's own limits — a 64 KiB target, 100 headers, ~400 KB —
/// are above these, so a client meets ours first; beyond them `api::conn` rewrites
/// hyper's bare answer.)
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Most headers accepted (see [`MAX_HEADER_BYTES`]).
pub const MAX_HEADERS: usize = 64;

/// The outer middleware that makes every error answer problem+json: it refuses
/// over-long targets and header blocks, cuts a request at `timeout` (`408
/// request_timeout`), and turns any error status that a layer not ours answered with
/// another body (axum's plain-text rejections, tower-http's empty ones) into a
/// problem+json body with a code for its status, keeping `Allow` and `Retry-After`.
pub async fn problems(
    axum::extract::State(timeout): axum::extract::State<std::time::Duration>,
    req: Request,
    next: Next,
) -> Response {
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        return ApiError::uri_too_long(MAX_URI_BYTES).into_response();
    }
    let headers = req.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes > MAX_HEADER_BYTES || headers.len() > MAX_HEADERS {
        return ApiError::headers_too_large(MAX_HEADER_BYTES, MAX_HEADERS).into_response();
    }
    let res = match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => return ApiError::timeout(timeout.as_secs()).into_response(),
    };
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return res;
    }
    let mut fixed = ApiError::from_status(status).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = res.headers().get(&name) {
            fixed.headers_mut().insert(name, v.clone());
        }
    }
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use std::time::Duration;

    #[tokio::test]
    async fn a_panicked_training_worker_is_internal_not_a_lack_of_feedback() {
        let join = tokio::spawn(async { panic!("worker bug") })
            .await
            .unwrap_err();
        let e = ApiError::from(TrainingError::Worker(join));
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::INTERNAL_SERVER_ERROR, Code::InternalError)
        );
        let e = ApiError::from(TrainingError::Fit("only 3 feedback events".into()));
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::CONFLICT, Code::NotEnoughFeedback)
        );
        let e = ApiError::from(TrainingError::Index(IndexError::WorkerPanicked("training")));
        assert_eq!(e.code(), Code::InternalError);
    }

    #[test]
    fn every_code_has_a_status_and_title() {
        for &c in Code::ALL {
            let (status, title) = status_and_title(c);
            assert!(status.is_client_error() || status.is_server_error(), "{c}");
            assert!(!title.is_empty(), "{c}");
            let e = ApiError::new(c, "x");
            assert_eq!((e.status(), e.code()), (status, c));
        }
    }

    /// A request cut by the timeout, and a plain-text rejection of a layer not ours, both
    /// answer problem+json with a stable code.
    #[tokio::test]
    async fn timeouts_and_foreign_errors_become_problem_json() {
        let app = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route(
                "/plain",
                get(|| async { (StatusCode::BAD_REQUEST, "plain text") }),
            )
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(100),
                problems,
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = reqwest::Client::new();
        for (path, status, code) in [
            ("/slow", 408, "request_timeout"),
            ("/plain", 400, "bad_request"),
        ] {
            let r = client
                .get(format!("http://{addr}{path}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), status);
            assert_eq!(r.headers()["content-type"], "application/problem+json");
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["code"], code);
        }
    }
}
