//! Files of a directory served at a URL prefix (`SocketIoBuilder::static_dir`):
//! enough for a built single-page app such as the Socket.IO Admin UI, so a
//! standalone [`crate::Server`] needs no other web server. GET and HEAD
//! only; no listing; nothing outside the directory.

use std::path::{Component, Path, PathBuf};

use http::{HeaderValue, Method, Response, StatusCode, header};

use http_body_util::{BodyExt, Full};

use crate::transport::{Body, empty, text};

/// One directory and the URL prefix it answers (`/admin-ui`).
#[derive(Debug, Clone)]
pub(crate) struct StaticDir {
    pub(crate) prefix: String,
    pub(crate) dir: PathBuf,
}

/// The part of `path` below `prefix`, if `path` is under it.
fn below<'p>(prefix: &str, path: &'p str) -> Option<&'p str> {
    let prefix = prefix.trim_end_matches('/');
    let rest = path.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// The file `rest` names in `dir`; `None` for anything that could leave it
/// (`..`, a root, a drive, an escaped separator or dot) or is not plain.
fn file_in(dir: &Path, rest: &str) -> Option<PathBuf> {
    let rest = rest.trim_start_matches('/');
    let rest = if rest.is_empty() || rest.ends_with('/') {
        format!("{rest}index.html")
    } else {
        rest.to_owned()
    };
    if rest.contains('%') || rest.contains('\\') || rest.contains('\0') {
        return None;
    }
    let relative = Path::new(&rest);
    relative
        .components()
        .all(|part| matches!(part, Component::Normal(_)))
        .then(|| dir.join(relative))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The answer for `path` if one of `dirs` serves it.
pub(crate) async fn serve(dirs: &[StaticDir], method: &Method, path: &str) -> Option<Response<Body>> {
    let (dir, rest) = dirs
        .iter()
        .find_map(|dir| below(&dir.prefix, path).map(|rest| (dir, rest)))?;
    if rest.is_empty() {
        // `/admin-ui` → `/admin-ui/`, so the page's relative links resolve.
        let mut response = empty(StatusCode::MOVED_PERMANENTLY);
        if let Ok(location) = HeaderValue::from_str(&format!("{}/", dir.prefix.trim_end_matches('/'))) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        return Some(response);
    }
    if method != Method::GET && method != Method::HEAD {
        return Some(text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD"));
    }
    let Some(file) = file_in(&dir.dir, rest) else {
        return Some(text(StatusCode::NOT_FOUND, "not found"));
    };
    // Off the runtime's threads, as file reads block.
    let read = file.clone();
    let Ok(Ok(bytes)) = tokio::task::spawn_blocking(move || std::fs::read(read)).await else {
        return Some(text(StatusCode::NOT_FOUND, "not found"));
    };
    let length = bytes.len();
    let mut response = if method == Method::HEAD {
        empty(StatusCode::OK)
    } else {
        Response::new(Full::new(bytes::Bytes::from(bytes)).boxed_unsync())
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&file)));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_inside_the_directory() {
        let dir = Path::new("/srv/ui");
        assert_eq!(file_in(dir, "/"), Some(dir.join("index.html")));
        assert_eq!(file_in(dir, "/js/app.js"), Some(dir.join("js/app.js")));
        assert_eq!(file_in(dir, "/img/"), Some(dir.join("img/index.html")));
        for bad in ["/../etc/passwd", "/js/../../x", "/%2e%2e/x", "/a\\..\\b", "/./x"] {
            assert_eq!(file_in(dir, bad), None, "{bad}");
        }
        // Leading slashes only lead into the directory.
        assert_eq!(file_in(dir, "//etc/passwd"), Some(dir.join("etc/passwd")));
        assert_eq!(below("/admin-ui", "/admin-ui/js/a.js"), Some("/js/a.js"));
        assert_eq!(below("/admin-ui/", "/admin-ui"), Some(""));
        assert_eq!(below("/admin-ui", "/admin-uix/a"), None);
    }
}
