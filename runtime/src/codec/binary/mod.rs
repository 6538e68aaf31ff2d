//! Event arguments that carry bytes.
//!
//! The modern protocol (v5) moves each byte buffer out of the JSON text as a
//! *binary attachment* and leaves `{"_placeholder":true,"num":N}` in its
//! place, N counting buffers in depth-first, left-to-right order. The legacy
//! 0.9 protocol has no binary frames, so there bytes are written as a base64
//! string (standard alphabet, padded).
//!
//! - [`JsonWriter`] serializes outbound values, producing the same text as
//!   `serde_json::to_string` except for bytes, which follow a [`BytesMode`].
//! - [`from_str_with_attachments`] binds inbound text whose placeholders refer
//!   to received attachments.
//! - [`tree`] splits JSON text around its placeholders; `RawJson` uses it to
//!   re-emit the attachments it carries.

mod de;
mod ser;
pub(crate) mod tree;

#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) use de::from_str_with_attachments;
pub(crate) use de::{from_str_with_shared_attachments, take_pending_attachments};
pub(crate) use ser::{BytesMode, JsonWriter};

/// The struct and field name serde_json uses to smuggle a `RawValue`'s text
/// through the serde data model (`serde_json::raw::TOKEN`, not exported).
pub(crate) const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";
