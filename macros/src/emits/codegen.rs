//! Generates the emits trait, its typed emit methods and its blanket
//! implementation for every `EmitTarget`, from the model.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemTrait, Type};

use crate::emits::model::{EmitsArgs, Event, Model};
use crate::typings;

/// An event's method: `emit_x(&self, ..)`, or `ask_x(&self, ..)` returning
/// the answer's future, with the bounds that go in its `where` clause.
struct Signature {
    method: syn::Ident,
    output: TokenStream,
    bounds: TokenStream,
}

fn signature(event: &Event, args: &EmitsArgs) -> Signature {
    let krate = &args.krate;
    match &event.answer {
        None => Signature {
            method: format_ident!("emit_{}", event.method),
            output: quote!(),
            bounds: quote!(),
        },
        // A boxed future rather than `impl Future`: the opaque type would
        // carry the `AckTarget` bound too, and asking through a
        // `BroadcastOperator` would then be reported three times.
        Some(answer) => Signature {
            method: format_ident!("ask_{}", event.method),
            output: quote! {
                -> ::core::pin::Pin<::std::boxed::Box<
                    dyn ::core::future::Future<Output = ::core::result::Result<#answer, #krate::AckError>>
                        + ::core::marker::Send + 'static>>
            },
            bounds: quote!(Self: #krate::__private::AckTarget,),
        },
    }
}

/// The method of an event the user must still fix: its signature only, so
/// that calling it is no second error.
fn stub(event: &Event, args: &EmitsArgs) -> TokenStream {
    let Signature { method, output, bounds } = signature(event, args);
    let docs = &event.docs;
    let params = &event.generics.params;
    let user_bounds = event.generics.where_clause.as_ref().map(|clause| &clause.predicates);
    let types = event.args.iter().map(|(_, ty)| ty);
    quote! {
        #(#docs)*
        fn #method<#params>(&self, #(_: #types),*) #output where #bounds #user_bounds {
            ::core::unreachable!()
        }
    }
}

fn method(event: &Event, args: &EmitsArgs) -> TokenStream {
    if event.stub {
        return stub(event, args);
    }
    let krate = &args.krate;
    let Signature { method, output, bounds } = signature(event, args);
    let name = &event.event;
    let docs = &event.docs;
    // Each argument sits in the emitted tuple at its type's span: a type
    // that cannot be serialized is then reported once, by the check below,
    // rather than again by the tuple's bound (rustc drops the duplicate).
    let names: Vec<_> = event
        .args
        .iter()
        .map(|(name, ty)| {
            let mut name = name.clone();
            name.set_span(ty.span());
            name
        })
        .collect();
    let params = event.args.iter().map(|(name, ty)| quote!(#name: #ty));
    let checks = event.args.iter().map(|(_, ty)| {
        let krate = krate.at(ty.span());
        quote_spanned!(ty.span()=> #krate::__private::assert_emit_argument::<#ty>();)
    });
    let tuple_span = event.args.first().map_or_else(Span::call_site, |(_, ty)| ty.span());
    let tuple = quote_spanned!(tuple_span=> (#(#names,)*));
    let Some(answer) = &event.answer else {
        return quote! {
            #(#docs)*
            fn #method(&self, #(#params),*) {
                #(#checks)*
                #krate::EmitTarget::emit_args(self, #name, #tuple)
            }
        };
    };
    let parse = {
        let krate = krate.at(answer.span());
        if let Type::Tuple(_) = answer {
            quote_spanned!(answer.span()=> #krate::__private::ack_tuple::<#answer>(&__socketio_response))
        } else {
            quote_spanned!(answer.span()=> #krate::__private::ack_one::<#answer>(&__socketio_response))
        }
    };
    quote! {
        #(#docs)*
        fn #method(&self, #(#params),*) #output where #bounds {
            #(#checks)*
            // Behind `dyn`, the pending answer's type holds no argument
            // type: one that cannot be serialized is not reported again at
            // each use of the future.
            let __socketio_args = #tuple;
            let __socketio_pending = #krate::__private::emit_with_ack(
                #krate::__private::AckTarget::ctx(self),
                #name,
                &__socketio_args as &dyn #krate::EmitArgs,
            );
            ::std::boxed::Box::pin(async move {
                let __socketio_response = __socketio_pending.await?;
                #parse
            })
        }
    }
}

pub(crate) fn generate(item: &ItemTrait, model: &Model, args: &EmitsArgs) -> TokenStream {
    let krate = &args.krate;
    let vis = &item.vis;
    let ident = &item.ident;
    let trait_docs = item.attrs.iter().filter(|a| a.path().is_ident("doc"));
    // Generics are an error, reported already; they are kept so that the
    // stubs' signatures still name them.
    let generics = &item.generics;
    let params = generics.params.iter();
    let (_, type_generics, where_clause) = generics.split_for_impl();
    let methods = model.events.iter().map(|event| method(event, args));
    let typings = typings(generics, model, args);
    let unimplemented = format!("`{{Self}}` cannot send the events of `{ident}`");
    quote! {
        #(#trait_docs)*
        #[diagnostic::on_unimplemented(
            message = #unimplemented,
            label = "typed emit methods send through one connection or a group of them",
            note = "emit through a `Ctx` (one connection) or a `BroadcastOperator` (`cx.to(\"room\")`, `io.of(\"/chat\")`)"
        )]
        #vis trait #ident #generics: #krate::EmitTarget #where_clause {
            #(#methods)*
            #typings
        }

        impl<#(#params,)* __SocketioTarget: #krate::EmitTarget + ?::core::marker::Sized> #ident #type_generics for __SocketioTarget #where_clause {}
    }
}

/// The trait's hidden typings function, inside `socketio::__typings!`
/// (nothing without socketio's `typescript` feature): the handlers that
/// list the trait in `emits(...)` call it through `Ctx`.
fn typings(generics: &syn::Generics, model: &Model, args: &EmitsArgs) -> TokenStream {
    if !generics.params.is_empty() || model.events.iter().any(|event| event.stub) {
        return quote!();
    }
    let krate = &args.krate;
    let events = model.events.iter().map(|event| {
        let name = &event.event;
        let params = event.args.iter().map(|(ident, ty)| {
            let arg = ident.to_string();
            let arg = arg.trim_start_matches("r#");
            let render = typings::renderer(krate, ty);
            quote!((#arg, #render))
        });
        let answer = match &event.answer {
            Some(answer) => {
                let values = typings::values(krate, answer);
                quote!(::core::option::Option::Some(&[#(#values),*]))
            }
            None => quote!(::core::option::Option::None),
        };
        quote!(__socketio_ns.emits(#name, &[#(#params),*], #answer);)
    });
    quote! {
        #krate::__typings! {
            #[doc(hidden)]
            fn __socketio_typings(__socketio_ns: &mut #krate::typescript::Namespace)
            where
                Self: ::core::marker::Sized,
            {
                #(#events)*
            }
        }
    }
}
