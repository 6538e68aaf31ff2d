//! jsonp-polling: the long-poll answered as `io.j[i]("payload");` for a
//! `<script>` tag, and posts made by a hidden form as `d=<JSON string>`.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderValue, Response, StatusCode, header};

use crate::codec::legacy::{ScriptError, js_string, jsonp_script};
use crate::core::Lent;
use crate::legacy::polling::poll;
use crate::legacy::{Session, Transport};
use crate::transport::{Body, Refusal, text_settling};

fn refusal(error: ScriptError) -> Refusal {
    let reason = match error {
        ScriptError::BadIndex => "the jsonp index must be a number of at most 6 digits",
        ScriptError::MissingField => "expected a form field `d`",
        ScriptError::BadField => "field `d` is not a JSON string",
    };
    Refusal::new(StatusCode::BAD_REQUEST, reason)
}

/// The client's callback index, validated.
pub(crate) fn callback_index(raw: Option<&str>) -> Result<u32, Refusal> {
    crate::codec::legacy::callback_index(raw).map_err(refusal)
}

/// The packets of a form post.
pub(crate) fn form_payload(body: &str) -> Result<String, Refusal> {
    crate::codec::legacy::decode_form_payload(body).map_err(refusal)
}

/// `io.j[index](<argument>);` as a script response.
pub(crate) fn script(index: u32, argument: &str) -> Response<Body> {
    script_settling(index, argument, None)
}

/// [`script`] carrying frames lent by the session.
fn script_settling(index: u32, argument: &str, lent: Option<Lent<Session>>) -> Response<Body> {
    let mut response = text_settling(StatusCode::OK, jsonp_script(index, argument), lent);
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
    let (payload, lent) = poll(session, hold, Transport::JsonpPolling).await.into_parts();
    script_settling(index, &js_string(&payload), lent)
}
