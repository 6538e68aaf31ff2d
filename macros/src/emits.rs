//! `#[socketio::emits]`: a trait declaring the events a server sends
//! becomes typed emit methods on `Ctx` and `BroadcastOperator`.
//!
//! ```text
//! #[socketio::emits]
//! trait ChatEvents {
//!     fn thanks(name: &str);                 // cx.emit_thanks("ann")
//!     #[event("room-msg")] fn room_msg(room: &str, text: &str);
//!     fn question(text: &str) -> Answer;     // cx.ask_question("how?").await?
//! }
//! ```

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemTrait, LitStr, Pat, ReturnType, TraitItem, Type};

use crate::ctxt::Ctxt;
use crate::types::is_unit;

struct Declared {
    method: syn::Ident,
    event: String,
    args: Vec<(syn::Ident, Type)>,
    answer: Option<Type>,
    docs: Vec<syn::Attribute>,
}

fn event_name(cx: &Ctxt, item: &mut syn::TraitItemFn) -> String {
    let mut name = item.sig.ident.to_string();
    item.attrs.retain(|attr| {
        if !attr.path().is_ident("event") {
            return true;
        }
        match attr.parse_args::<LitStr>() {
            Ok(lit) if !lit.value().is_empty() => name = lit.value(),
            Ok(lit) => cx.error(
                &lit,
                "an event name cannot be empty: write the name the client listens for, like \"tick\"",
            ),
            Err(_) => match &attr.meta {
                syn::Meta::List(list) if !list.tokens.is_empty() => {
                    cx.error(&list.tokens, "write the event's name as a string: `#[event(\"name\")]`")
                }
                _ => cx.error(
                    attr,
                    "`#[event]` renames an event: write `#[event(\"name\")]`, or remove it to keep the method's name",
                ),
            },
        }
        false
    });
    name
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::default();
    if !attr.is_empty() {
        cx.error(
            &attr,
            "`#[socketio::emits]` takes no arguments: each method names an event, renamed with `#[event(\"name\")]`",
        );
    }
    let mut item: ItemTrait = match syn::parse2(item.clone()) {
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
    if !item.generics.params.is_empty() {
        cx.error(
            &item.generics,
            "an emits trait cannot be generic: give its events' arguments concrete types",
        );
    }
    let mut declared = Vec::new();
    for trait_item in &mut item.items {
        let TraitItem::Fn(function) = trait_item else {
            cx.error(
                &*trait_item,
                "an emits trait declares only events, as `fn name(arg: Type, ...);`",
            );
            continue;
        };
        let event = event_name(&cx, function);
        let sig = &function.sig;
        if let Some(body) = &function.default {
            cx.error(body, "declare the event without a body: its emit method is generated");
        }
        if let Some(asyncness) = &sig.asyncness {
            cx.error(
                asyncness,
                "declare the event without `async`; acked events are awaited by their `ask_` method",
            );
        }
        if !sig.generics.params.is_empty() {
            cx.error(
                &sig.generics,
                "an event cannot be generic: give its arguments concrete types",
            );
        }
        let mut args = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(receiver) => cx.error(
                    receiver,
                    "declare only the event's arguments (no `self`); the generated method takes it",
                ),
                FnArg::Typed(arg) => match &*arg.pat {
                    Pat::Ident(ident) => args.push((ident.ident.clone(), (*arg.ty).clone())),
                    other => cx.error(
                        other,
                        "name each argument, like `x: i32`: the name becomes the emit method's parameter",
                    ),
                },
            }
        }
        let answer = match &sig.output {
            ReturnType::Type(_, ty) if !is_unit(ty) => Some((**ty).clone()),
            _ => None,
        };
        let docs = function
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("doc"))
            .cloned()
            .collect();
        declared.push(Declared {
            method: sig.ident.clone(),
            event,
            args,
            answer,
            docs,
        });
    }
    if let Some(errors) = cx.finish() {
        return quote!(#errors);
    }

    let vis = &item.vis;
    let ident = &item.ident;
    let trait_docs = item.attrs.iter().filter(|a| a.path().is_ident("doc"));
    let methods = declared.iter().map(|d| {
        let event = &d.event;
        let docs = &d.docs;
        // Each argument sits in the emitted tuple at its type's span: a type
        // that cannot be serialized is then reported once, by the check below,
        // rather than again by the tuple's bound (rustc drops the duplicate).
        let names: Vec<_> = d
            .args
            .iter()
            .map(|(name, ty)| {
                let mut name = name.clone();
                name.set_span(ty.span());
                name
            })
            .collect();
        let params = d.args.iter().map(|(name, ty)| quote!(#name: #ty));
        let checks = d
            .args
            .iter()
            .map(|(_, ty)| quote_spanned!(ty.span()=> ::socketio::__private::assert_emit_argument::<#ty>();));
        let tuple_span = d
            .args
            .first()
            .map_or_else(proc_macro2::Span::call_site, |(_, ty)| ty.span());
        let tuple = quote_spanned!(tuple_span=> (#(#names,)*));
        match &d.answer {
            None => {
                let method = format_ident!("emit_{}", d.method);
                quote! {
                    #(#docs)*
                    fn #method(&self, #(#params),*) {
                        #(#checks)*
                        ::socketio::EmitTarget::emit_args(self, #event, #tuple)
                    }
                }
            }
            Some(answer) => {
                let method = format_ident!("ask_{}", d.method);
                let parse = if let Type::Tuple(_) = answer {
                    quote_spanned!(answer.span()=> ::socketio::__private::ack_tuple::<#answer>(&__socketio_response))
                } else {
                    quote_spanned!(answer.span()=> ::socketio::__private::ack_one::<#answer>(&__socketio_response))
                };
                // A boxed future rather than `impl Future`: the opaque type
                // would carry the `AckTarget` bound too, and asking through a
                // `BroadcastOperator` would then be reported three times.
                quote! {
                    #(#docs)*
                    fn #method(&self, #(#params),*)
                        -> ::core::pin::Pin<::std::boxed::Box<
                            dyn ::core::future::Future<Output = ::core::result::Result<#answer, ::socketio::AckError>>
                                + ::core::marker::Send + 'static>>
                    where
                        Self: ::socketio::__private::AckTarget,
                    {
                        #(#checks)*
                        // Behind `dyn`, the pending answer's type holds no
                        // argument type: one that cannot be serialized is not
                        // reported again at each use of the future.
                        let __socketio_args = #tuple;
                        let __socketio_pending = ::socketio::__private::emit_with_ack(
                            ::socketio::__private::AckTarget::ctx(self),
                            #event,
                            &__socketio_args as &dyn ::socketio::EmitArgs,
                        );
                        ::std::boxed::Box::pin(async move {
                            let __socketio_response = __socketio_pending.await?;
                            #parse
                        })
                    }
                }
            }
        }
    });
    quote! {
        #(#trait_docs)*
        #vis trait #ident: ::socketio::EmitTarget {
            #(#methods)*
        }

        impl<__SocketioTarget: ::socketio::EmitTarget + ?::core::marker::Sized> #ident for __SocketioTarget {}
    }
}
