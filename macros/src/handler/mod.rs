//! `#[socketio::handler]`: parse the impl block into a model, check it,
//! then generate the `Handler` implementation.

mod codegen;
mod model;

use proc_macro2::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut item: syn::ItemImpl = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error = syn::Error::new_spanned(
                &item,
                "`#[socketio::handler]` goes on an impl block: `impl MyHandler { ... }`",
            )
            .into_compile_error();
            return quote!(#error #item);
        }
    };
    let cx = Ctxt::default();
    let args = model::HandlerArgs::parse(&cx, attr);
    let model = model::parse(&cx, &mut item, &args.krate);
    match cx.finish() {
        // Keep the user's impl (cleaned of our attributes) so that a
        // mistake here does not also flood them with unresolved-method errors.
        Some(errors) => quote!(#errors #item),
        None => codegen::generate(&item, &model, &args),
    }
}
