//! Our own extractors, so a malformed body or query gets the same problem+json shape
//! as every other error.

use super::error::ApiError;
use super::error::Code;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// JSON body; rejections become `invalid_json` / `unsupported_media_type` / `body_too_large`.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::unsupported_media(
                "请求体应为 JSON，并设置 Content-Type: application/json",
            )),
            Err(JsonRejection::BytesRejection(b)) => Err(bytes_rejection(b)),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::bad_request(
                Code::InvalidJson,
                format!("请求体字段有误：{}", e.body_text()),
            )),
            Err(e) => Err(ApiError::bad_request(
                Code::InvalidJson,
                format!("请求体不是合法的 JSON：{}", e.body_text()),
            )),
        }
    }
}

fn bytes_rejection(b: BytesRejection) -> ApiError {
    if b.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(super::BODY_LIMIT)
    } else {
        ApiError::bad_request(Code::UnreadableBody, b.body_text())
    }
}

/// The raw body, with size errors mapped.
pub struct Body(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        axum::body::Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(|e| {
                if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::too_large(super::IMPORT_BODY_LIMIT)
                } else {
                    ApiError::bad_request(Code::UnreadableBody, e.body_text())
                }
            })
    }
}

/// Query string; rejections become `invalid_query`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::bad_request(
                    Code::InvalidQuery,
                    format!("查询参数有误：{}", e.body_text()),
                )
            })
    }
}

/// Path parameters; rejections (a segment that is not UTF-8 once decoded, such as
/// `/v1/needs/%ff%fe`) become `400 invalid_path`.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e: PathRejection| {
                ApiError::bad_request(
                    Code::InvalidPath,
                    format!("路径参数有误（应为 UTF-8 文本）：{}", e.body_text()),
                )
            })
    }
}
