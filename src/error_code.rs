//! The stable machine codes of every failure the service reports — in problem+json
//! answers (`code`), in import reports (a rejected line's or a warning's `code`) and in
//! the `x-error-code` header. One enum, so a code cannot be misspelt at a call site;
//! the wire strings never change (clients and tests match on them). It depends on
//! nothing of ours (serde and utoipa describe it): `domain` carries these codes in its errors, `api::error` (which re-exports
//! it) holds the table of each code's HTTP status and title.

use serde::{Serialize, Serializer};

/// Declares [`Code`] with its wire strings.
macro_rules! codes {
    ($($(#[$meta:meta])* $variant:ident => $wire:literal,)+) => {
        /// A stable machine code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[$meta])* $variant,)+
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];

            /// The wire string (`"unknown_field_code"`, …).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $wire,)+
                }
            }
        }
    };
}

codes! {
    // A parameter, body or record value that breaks a rule: 400 in a request's
    // parameters, 422 in a record (see `api::error`).
    /// A value is not acceptable.
    InvalidValue => "invalid_value",
    /// A required field is missing.
    MissingField => "missing_field",
    /// A value of the wrong JSON type (never coerced; always 400).
    WrongType => "wrong_type",
    /// An id that is not a valid id.
    InvalidId => "invalid_id",
    /// A district that is not one of the city's.
    InvalidDistrict => "invalid_district",
    /// An unknown record kind.
    UnknownKind => "unknown_kind",
    /// An unknown technology field code.
    UnknownFieldCode => "unknown_field_code",
    /// An unknown service code.
    UnknownServiceCode => "unknown_service_code",
    /// An unknown need status.
    UnknownStatus => "unknown_status",
    /// An unknown visibility.
    UnknownVisibility => "unknown_visibility",
    /// An unknown provider type.
    UnknownProviderType => "unknown_provider_type",
    /// An unknown certification.
    UnknownCertification => "unknown_certification",
    /// An unknown feedback event.
    UnknownEvent => "unknown_event",
    /// An unknown feedback actor.
    UnknownActor => "unknown_actor",
    /// A credit code that is not 18 allowed characters.
    InvalidCreditCode => "invalid_credit_code",
    /// A record refers to one that does not exist.
    UnknownReference => "unknown_reference",
    /// A line that is not UTF-8.
    InvalidEncoding => "invalid_encoding",
    /// A line that is not JSON.
    MalformedJson => "malformed_json",
    /// A CSV header that cannot be read.
    MalformedCsv => "malformed_csv",
    /// An unknown ranker name.
    UnknownRanker => "unknown_ranker",
    /// A body that is not JSON.
    InvalidJson => "invalid_json",
    /// A body that could not be read.
    UnreadableBody => "unreadable_body",
    /// Query parameters that do not parse.
    InvalidQuery => "invalid_query",
    /// A path parameter that does not parse.
    InvalidPath => "invalid_path",
    /// A body that is not a JSON object.
    NotAnObject => "not_an_object",
    /// A search query that is too long.
    QueryTooLong => "query_too_long",
    /// A match text that is too long.
    TextTooLong => "text_too_long",
    /// A list cursor that was not given out.
    BadCursor => "bad_cursor",
    /// A search cursor that does not parse.
    InvalidCursor => "invalid_cursor",
    /// A body's id differs from the path's.
    IdMismatch => "id_mismatch",
    /// A body's kind differs from the path's.
    KindMismatch => "kind_mismatch",
    /// A provider that is not a broker.
    NotABroker => "not_a_broker",
    /// A request that is not valid HTTP/1.1.
    MalformedRequest => "malformed_request",
    /// Any other 400 from a layer not ours.
    BadRequest => "bad_request",

    // Warnings on imported records (the record is kept).
    /// A place name not known; kept as written.
    UnknownPlace => "unknown_place",
    /// A key not in the data model; ignored.
    UnknownKey => "unknown_key",
    /// A credit code whose check character is wrong.
    CreditCodeChecksum => "credit_code_checksum",

    // Fixed statuses.
    /// 401: no key, or a wrong or revoked one.
    Unauthorized => "unauthorized",
    /// 403: the key's role may not do this.
    Forbidden => "forbidden",
    /// 404: no such record.
    NotFound => "not_found",
    /// 404: no such path.
    NoSuchRoute => "no_such_route",
    /// 405.
    MethodNotAllowed => "method_not_allowed",
    /// 408.
    RequestTimeout => "request_timeout",
    /// 409: an enterprise still has needs.
    HasDependents => "has_dependents",
    /// 409: a model file cannot be loaded.
    ModelUnreadable => "model_unreadable",
    /// 409: training is already running.
    TrainingInProgress => "training_in_progress",
    /// 409: not enough feedback to train, or the fit failed.
    NotEnoughFeedback => "not_enough_feedback",
    /// 409: another broker holds the lead.
    LeadAlreadyClaimed => "lead_already_claimed",
    /// 409: the lead's need is not open.
    LeadNotOpen => "lead_not_open",
    /// 411.
    LengthRequired => "length_required",
    /// 413.
    BodyTooLarge => "body_too_large",
    /// 414.
    UriTooLong => "uri_too_long",
    /// 415.
    UnsupportedMediaType => "unsupported_media_type",
    /// 429: over the key's rate.
    RateLimited => "rate_limited",
    /// 429: too many failed authentications from this address.
    TooManyAuthFailures => "too_many_auth_failures",
    /// 431.
    HeadersTooLarge => "headers_too_large",
    /// 500: something of ours failed.
    InternalError => "internal_error",
    /// 503: temporarily unable (e.g. the store is locked).
    Unavailable => "unavailable",
    /// 503: the store's file was deleted or replaced.
    StoreFileMissing => "store_file_missing",
    /// 503: the store does not answer.
    StoreUnavailable => "store_unavailable",
    /// 503: writing the search index fails.
    IndexFailing => "index_failing",
    /// Any other error status from a layer not ours.
    RequestFailed => "request_failed",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// In the OpenAPI document: a string, one of the wire strings.
impl utoipa::PartialSchema for Code {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some(Code::ALL.iter().map(|c| c.as_str())))
            .description(Some("A stable machine code"))
            .into()
    }
}

impl utoipa::ToSchema for Code {}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A value that breaks a rule: the code, and a Chinese message that names the value and
/// what would be right. What domain parsers return.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Coded {
    /// The stable machine code.
    pub code: Code,
    /// The message for people.
    pub message: String,
}

impl Coded {
    /// A coded error.
    pub fn new(code: Code, message: impl Into<String>) -> Coded {
        Coded {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_are_distinct_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{s}"
            );
            assert_eq!(serde_json::to_string(c).unwrap(), format!("\"{s}\""));
        }
    }
}
