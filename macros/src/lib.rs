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

use proc_macro::TokenStream;

/// Turns an impl block into a Socket.IO handler: `#[event]` methods become
/// a typed event dispatch, `on_open`/`on_message`/`on_close` become the
/// hooks. See the `socketio` crate documentation for the full rules.
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
/// implemented for `Ctx` and `BroadcastOperator`.
#[proc_macro_attribute]
pub fn emits(attr: TokenStream, item: TokenStream) -> TokenStream {
    emits::expand(attr.into(), item.into()).into()
}
