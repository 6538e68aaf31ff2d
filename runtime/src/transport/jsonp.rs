//! jsonp-polling: the long-poll answered as `io.j[i]("payload");` for a
//! `<script>` tag, and posts made by a hidden form as `d=<JSON string>`.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Response, StatusCode, header};

use crate::session::Session;
use crate::transport::escape::js_string;
use crate::transport::polling::poll;
use crate::transport::{Body, Refusal, text};

const BAD_INDEX: Refusal = Refusal::new(StatusCode::BAD_REQUEST, "the jsonp index must be a small number");

/// The most digits a callback index may have: the client counts its
/// pending requests, so a handful is plenty.
const MAX_INDEX_DIGITS: usize = 6;

/// Validates the client's callback index: digits only, bounded. Anything
/// else could inject script into the response.
pub(crate) fn callback_index(raw: Option<&str>) -> Result<u32, Refusal> {
    let raw = raw.unwrap_or("0");
    if raw.is_empty() || raw.len() > MAX_INDEX_DIGITS || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BAD_INDEX);
    }
    raw.parse().map_err(|_| BAD_INDEX)
}

/// `io.j[index](<argument>);` as a script response.
pub(crate) fn script(index: u32, argument: &str) -> Response<Body> {
    let mut response = text(StatusCode::OK, format!("io.j[{index}]({argument});"));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=UTF-8"),
    );
    headers.insert("x-xss-protection", HeaderValue::from_static("0"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

pub(crate) async fn get(session: Option<Arc<Session>>, hold: Duration, index: u32) -> Response<Body> {
    let payload = poll(session, hold).await.into_text();
    script(index, &js_string(&payload))
}

/// The packets of a form post: the `d` field, a JSON string literal (the
/// client encodes it so newlines survive), or raw text from older clients.
pub(crate) fn form_payload(body: &str) -> Result<String, Refusal> {
    let field = form_urlencoded::parse(body.as_bytes())
        .find(|(key, _)| key == "d")
        .map(|(_, value)| value);
    let Some(value) = field else {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, "expected a form field `d`"));
    };
    if value.starts_with('"') {
        serde_json::from_str::<String>(&value)
            .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, "field `d` is not a JSON string"))
    } else {
        Ok(value.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_numbers_are_indexes() {
        assert_eq!(callback_index(None).ok(), Some(0));
        assert_eq!(callback_index(Some("12")).ok(), Some(12));
        for bad in ["", "-1", "1e3", "0]=alert(1);io.j[0", "1234567", " 1", "١"] {
            assert!(callback_index(Some(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn form_posts_decode_json_strings_and_raw_text() {
        assert_eq!(
            form_payload("d=%223%3A%3A%3Ahi%5Cn%22").ok().as_deref(),
            Some("3:::hi\n")
        );
        assert_eq!(
            form_payload("x=1&d=3%3A%3A%3Ahi+there").ok().as_deref(),
            Some("3:::hi there")
        );
        assert!(form_payload("x=1").is_err());
        assert!(form_payload("d=%22unterminated").is_err());
    }
}
