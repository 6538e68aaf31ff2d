//! Procedural macros of the `socketio` crate; use them through it
//! (`#[socketio::handler]`, `#[socketio::event]`, `#[socketio::emits]`).
//!
//! Each entry point is a thin shim: the work is in `handler/` (parse into a
//! checked model, then generate) and `emits/` (the same shape).

mod crate_path;
mod ctxt;
mod emits;
mod handler;
mod types;
mod typings;

use proc_macro::TokenStream;

/// Turns an impl block into a Socket.IO handler: `#[event]` methods become
/// a typed event dispatch, `on_open`/`on_message`/`on_close` become the
/// hooks. See the `socketio` crate documentation for the full rules.
///
/// # Special parameters
///
/// A parameter is filled by the runtime, not deserialized from the
/// client's arguments, when its type is written as one of:
///
/// - `Ctx`, `&Ctx`, `ConnectionInfo`, `&ConnectionInfo`, `AckSender`;
/// - `Event` in the `#[fallback]` method, `Message` in `on_message`;
/// - any of these five behind `socketio::` (a path whose segment before the
///   name is `socketio`, or the `crate = "..."` path): `socketio::Event`
///   is special in every method, and an error outside the fallback.
///
/// The rule reads only how the type is written, never what it names. A
/// bare `Event` or `Message` elsewhere is an ordinary argument, so a type
/// of your own of that name binds like any other; a type of your own named
/// `Ctx`, `ConnectionInfo` or `AckSender` is written through a path
/// (`model::Ctx`) to be one.
///
/// # Return values
///
/// A return type whose last segment is `Result`, with one generic argument
/// (an alias such as `io::Result<T>`) or two, is a `Result`: `Ok` answers
/// the ack, `Err` is reported to the client through its `Display`.
///
/// # Arguments
///
/// `#[socketio::handler(endpoints("/name" => Type, ...), crate = "path")]`:
/// `endpoints` lists other endpoints served by `Default` values of their
/// types; `crate` names the `socketio` crate for code that reaches it
/// through a re-export (`crate = "my_reexport::socketio"`).
#[proc_macro_attribute]
pub fn handler(attr: TokenStream, item: TokenStream) -> TokenStream {
    handler::expand(attr.into(), item.into()).into()
}

/// Marks a method of a `#[socketio::handler]` impl block as an event
/// handler. On its own it is an error.
#[proc_macro_attribute]
pub fn event(_attr: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    let error = syn::Error::new(
        proc_macro2::Span::call_site(),
        "`#[event]` only works on a method of an impl block marked `#[socketio::handler]`",
    )
    .into_compile_error();
    quote::quote!(#error #item).into()
}

/// Declares the events a handler sends, as a trait of typed emit methods
/// implemented for `Ctx` and `BroadcastOperator`. Its one argument,
/// `crate = "path"`, names the `socketio` crate as for `#[handler]`.
#[proc_macro_attribute]
pub fn emits(attr: TokenStream, item: TokenStream) -> TokenStream {
    emits::expand(attr.into(), item.into()).into()
}
