//! The typings both attributes generate for `socketio::typescript`: calls
//! that describe each event, wrapped in `socketio::__typings!`, which
//! expands them only when socketio has its `typescript` feature.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use crate::crate_path::CratePath;
use crate::types::{is_unit, last_ident, result_parts};

/// The type as the client sees it: references are the values they point to.
pub(crate) fn owned(ty: &Type) -> &Type {
    match ty {
        Type::Reference(reference) => owned(&reference.elem),
        Type::Paren(paren) => owned(&paren.elem),
        Type::Group(group) => owned(&group.elem),
        other => other,
    }
}

/// An expression of type `socketio::typescript::RenderFn` for `ty`,
/// chosen at the concrete type: socketio's rendering, else ts-rs's, else
/// an error at `ty` that says what to derive.
pub(crate) fn renderer(krate: &CratePath, ty: &Type) -> TokenStream {
    let ty = owned(ty);
    let at = krate.at(ty.span());
    quote_spanned! {ty.span()=> {
        #[allow(unused_imports)]
        use #at::typescript::{Unrenderable as _, ViaSocketio as _, ViaTsRs as _};
        (&&&#at::typescript::Probe::<#ty>::new()).renderer()
    }}
}

/// The values of an answer: a tuple's elements, or the one value.
pub(crate) fn values(krate: &CratePath, ty: &Type) -> Vec<TokenStream> {
    match ty {
        Type::Tuple(tuple) => tuple.elems.iter().map(|elem| renderer(krate, elem)).collect(),
        other => vec![renderer(krate, other)],
    }
}

/// What a handled event's ack carries, from its method's return type (as
/// `reply` in the handler's codegen turns it into the ack).
pub(crate) fn ack(krate: &CratePath, output: Option<&Type>, takes_ack: bool) -> TokenStream {
    if takes_ack {
        return quote!(#krate::typescript::Ack::Any);
    }
    let Some(ty) = output.filter(|ty| !is_unit(ty)) else {
        return quote!(#krate::typescript::Ack::None);
    };
    if let Some((ok, _)) = result_parts(ty) {
        return ack(krate, Some(ok), false);
    }
    if last_ident(ty).as_deref() == Some("Reply") {
        return quote!(#krate::typescript::Ack::Any);
    }
    let values = values(krate, ty);
    quote!(#krate::typescript::Ack::Values(::std::vec![#(#values),*]))
}
