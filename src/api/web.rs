//! The web page: `GET /` and `GET /assets/{file}`. The files in `web/` are embedded at
//! build time (no CDN, nothing downloaded at run time); the page's scripts are ES modules
//! (`app.js` imports one module per view), so every `.js` file of `web/` is listed in
//! [`FILES`] and served as `text/javascript`. For work on the page, the setting `--web-dir web`
//! (`DUIJIE_WEB_DIR=web`) serves them from disk instead, so an edit shows on reload.
//!
//! Embedded files are prepared once, when the router is built: a strong `ETag` (a hash of
//! the bytes) and a gzip copy. A request whose `If-None-Match` names the current tag is
//! answered `304 Not Modified`; a client that accepts gzip gets the gzip copy (`Vary:
//! Accept-Encoding`). `Cache-Control: no-cache` makes browsers revalidate on every load,
//! which costs a 304 and no body. Files served from `--web-dir` are sent as read,
//! without either.

use super::error::ApiError;
use super::extract::Path;
use super::openapi::{BadRequest, NotFound};
use crate::app::App;
use axum::Extension;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// (file name, content type, embedded bytes): every file of `web/` the page loads.
pub const FILES: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../web/index.html"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/api.js"),
    ),
    (
        "dom.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/dom.js"),
    ),
    (
        "labels.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/labels.js"),
    ),
    (
        "vocab.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/vocab.js"),
    ),
    (
        "widgets.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/widgets.js"),
    ),
    (
        "search.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/search.js"),
    ),
    (
        "sme.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/sme.js"),
    ),
    (
        "commissioner.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/commissioner.js"),
    ),
    (
        "broker.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/broker.js"),
    ),
    (
        "overview.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/overview.js"),
    ),
    (
        "detail.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/detail.js"),
    ),
];

/// One embedded file, ready to serve.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    /// The gzip copy, when it is smaller.
    gzip: Option<Vec<u8>>,
    /// `"<hash>"`: the strong validator of the bytes as embedded.
    etag: HeaderValue,
    /// `"<hash>-gzip"`: the validator of the gzip copy (a different representation).
    etag_gzip: HeaderValue,
}

/// The embedded files with their tags and gzip copies, computed once per router.
struct Assets(Vec<Asset>);

impl Assets {
    fn prepare() -> Assets {
        Assets(
            FILES
                .iter()
                .map(|&(name, content_type, bytes)| {
                    let hash = Sha256::digest(bytes);
                    let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
                    let gzip = gzip(bytes).filter(|z| z.len() < bytes.len());
                    Asset {
                        name,
                        content_type,
                        bytes,
                        gzip,
                        etag: HeaderValue::from_str(&format!("\"{hex}\""))
                            .expect("a quoted hex string is a valid header value"),
                        etag_gzip: HeaderValue::from_str(&format!("\"{hex}-gzip\""))
                            .expect("a quoted hex string is a valid header value"),
                    }
                })
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&Asset> {
        self.0.iter().find(|a| a.name == name)
    }
}

/// Gzip at the best level (done once per file, at start-up); `None` if the encoder fails.
fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut enc = libflate::gzip::Encoder::new(Vec::with_capacity(bytes.len() / 3)).ok()?;
    enc.write_all(bytes).ok()?;
    enc.finish().into_result().ok()
}

/// The embedded files and the directory read before them (`--web-dir`).
type Served = Arc<(Assets, Option<std::path::PathBuf>)>;

/// The page's routes; `dir`, when given, is read before the built-in copies.
pub(super) fn routes(dir: Option<std::path::PathBuf>) -> OpenApiRouter<App> {
    let served: Served = Arc::new((Assets::prepare(), dir));
    OpenApiRouter::new()
        .routes(routes!(page))
        .routes(routes!(file))
        .layer(Extension(served))
}

/// The web page
#[utoipa::path(
    get,
    path = "/",
    operation_id = "webPage",
    tag = "web",
    responses(
        (status = 200, description = "HTML", body = String, content_type = "text/html"),
        (status = 304, description = "Not modified: the `If-None-Match` tag is current"),
    )
)]
async fn page(Extension(served): Extension<Served>, headers: HeaderMap) -> Response {
    asset(&served.0, served.1.as_deref(), "index.html", &headers)
}

/// A file of the web page
#[utoipa::path(
    get,
    path = "/assets/{file}",
    operation_id = "webAsset",
    tag = "web",
    params(("file" = String, Path, description = "A file of the page: `index.html`, `style.css`, `app.js` and the ES modules it imports", example = "app.js")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/html"),
            (String = "text/javascript"),
            (String = "text/css"),
        )),
        (status = 304, description = "Not modified: the `If-None-Match` tag is current"),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
async fn file(
    Extension(served): Extension<Served>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    asset(&served.0, served.1.as_deref(), &file, &headers)
}

fn asset(
    assets: &Assets,
    dir: Option<&std::path::Path>,
    name: &str,
    headers: &HeaderMap,
) -> Response {
    let Some(a) = assets.get(name) else {
        return ApiError::no_route().into_response();
    };
    if let Some(body) = dir.and_then(|d| std::fs::read(d.join(name)).ok()) {
        return with_type(body.into_response(), a.content_type);
    }
    let gzip = a.gzip.as_ref().filter(|_| accepts_gzip(headers));
    let etag = if gzip.is_some() {
        &a.etag_gzip
    } else {
        &a.etag
    };
    let mut res = if if_none_match(headers, &[&a.etag, &a.etag_gzip]) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if let Some(z) = gzip {
        let mut res = with_type(z.clone().into_response(), a.content_type);
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        res
    } else {
        with_type(a.bytes.into_response(), a.content_type)
    };
    let h = res.headers_mut();
    h.insert(header::ETAG, etag.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    res
}

fn with_type(mut res: Response, content_type: &'static str) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// Whether `If-None-Match` names one of `tags` (or is `*`). The comparison is weak, as
/// RFC 9110 asks for this header: `W/"x"` matches `"x"`.
fn if_none_match(headers: &HeaderMap, tags: &[&HeaderValue]) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| {
            let t = t.strip_prefix("W/").unwrap_or(t);
            t == "*" || tags.iter().any(|tag| tag.as_bytes() == t.as_bytes())
        })
}

/// Whether `Accept-Encoding` accepts gzip (`gzip`, `x-gzip` or `*`, with a q above 0).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            matches!(coding.as_str(), "gzip" | "x-gzip" | "*") && q > 0.0
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::io::Read;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    /// Every script in `web/` is embedded (a module left out would be a 404 in the
    /// browser), and every relative import of a script names an embedded file.
    #[test]
    fn every_module_of_the_page_is_embedded_as_javascript() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let embedded: BTreeSet<&str> = FILES.iter().map(|f| f.0).collect();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".js") {
                assert!(
                    embedded.contains(name.as_str()),
                    "web/{name} is not in FILES"
                );
            }
        }
        for &(name, content_type, bytes) in FILES {
            if !name.ends_with(".js") {
                continue;
            }
            assert_eq!(content_type, "text/javascript; charset=utf-8", "{name}");
            let text = std::str::from_utf8(bytes).unwrap();
            for (at, _) in text.match_indices("from './") {
                let rest = &text[at + "from './".len()..];
                let target = &rest[..rest.find('\'').unwrap()];
                assert!(embedded.contains(target), "{name} imports ./{target}");
            }
        }
    }

    #[test]
    fn gzip_copies_decompress_to_the_embedded_bytes() {
        let assets = Assets::prepare();
        for a in &assets.0 {
            let z = a.gzip.as_ref().expect("text compresses");
            let mut out = Vec::new();
            libflate::gzip::Decoder::new(&z[..])
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, a.bytes, "{}", a.name);
            assert_ne!(a.etag, a.etag_gzip);
        }
    }

    #[test]
    fn reads_accept_encoding_and_if_none_match() {
        assert!(accepts_gzip(&headers(&[(
            header::ACCEPT_ENCODING,
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "*")])));
        assert!(!accepts_gzip(&headers(&[(
            header::ACCEPT_ENCODING,
            "gzip;q=0"
        )])));
        assert!(!accepts_gzip(&headers(&[(header::ACCEPT_ENCODING, "br")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
        let tag = HeaderValue::from_static("\"abc\"");
        let tags = [&tag];
        for v in ["\"abc\"", "W/\"abc\"", "\"x\", \"abc\"", "*"] {
            assert!(
                if_none_match(&headers(&[(header::IF_NONE_MATCH, v)]), &tags),
                "{v}"
            );
        }
        for v in ["\"abd\"", "abc", ""] {
            assert!(
                !if_none_match(&headers(&[(header::IF_NONE_MATCH, v)]), &tags),
                "{v}"
            );
        }
    }
}
