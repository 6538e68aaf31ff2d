//! `#[socketio::emits]`: a trait declaring the events a server sends
//! becomes typed emit methods on `Ctx` and `BroadcastOperator`. Parse the
//! trait into a model, check it, then generate.
//!
//! ```text
//! #[socketio::emits]
//! trait ChatEvents {
//!     fn thanks(name: &str);                 // cx.emit_thanks("ann")
//!     #[event("room-msg")] fn room_msg(room: &str, text: &str);
//!     fn question(text: &str) -> Answer;     // cx.ask_question("how?").await?
//! }
//! ```

mod codegen;
mod model;

use proc_macro2::TokenStream;
use quote::quote;

use crate::ctxt::Ctxt;

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut item: syn::ItemTrait = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error = syn::Error::new_spanned(
                &item,
                "`#[socketio::emits]` goes on a trait declaring events: `trait ChatEvents { fn thanks(name: &str); }`",
            )
            .into_compile_error();
            return quote!(#error #item);
        }
    };
    let cx = Ctxt::default();
    let args = model::EmitsArgs::parse(&cx, attr);
    let model = model::parse(&cx, &mut item);
    // The trait is generated even after an error, so that a mistake in one
    // event is not reported again at every call of its emit methods.
    let generated = codegen::generate(&item, &model, &args);
    let errors = cx.finish();
    quote!(#errors #generated)
}
