//! Generates the `socketio::Handler` implementation from the model.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemImpl, Type};

use crate::crate_path::CratePath;
use crate::handler::model::{Binding, HandlerArgs, Method, Model, Param, Role, Shape};
use crate::types::{is_unit, last_ident, result_parts};
use crate::typings;

/// The arguments of a call to the user's method, in its declared order.
fn call_args(method: &Method, bound: &[TokenStream]) -> Vec<TokenStream> {
    let mut bound = bound.iter();
    method
        .params
        .iter()
        .map(|param| match param {
            Param::Ctx { by_ref: true } => quote!(__socketio_cx),
            Param::Ctx { by_ref: false } => quote!(::core::clone::Clone::clone(__socketio_cx)),
            Param::Info { by_ref: true } => quote!(__socketio_cx.info()),
            Param::Info { by_ref: false } => quote!(::core::clone::Clone::clone(__socketio_cx.info())),
            Param::Ack => quote!(__socketio_ack),
            Param::Event => quote!(__socketio_event),
            Param::Message => quote!(__socketio_message),
            Param::Bind(_) => bound.next().cloned().unwrap_or_default(),
        })
        .collect()
}

fn call(method: &Method, args: &[TokenStream]) -> TokenStream {
    let ident = &method.ident;
    if method.is_async {
        quote!(self.#ident(#(#args),*).await)
    } else {
        quote!(self.#ident(#(#args),*))
    }
}

/// Turns a method's return value into the ack reply.
fn reply(krate: &CratePath, ty: Option<&Type>, value: TokenStream, event: &str) -> TokenStream {
    let Some(ty) = ty.filter(|ty| !is_unit(ty)) else {
        return quote! {{
            let () = #value;
            ::core::result::Result::Ok(#krate::Reply::empty())
        }};
    };
    if let Some((ok, err)) = result_parts(ty) {
        let ok_reply = reply(krate, Some(ok), quote!(__socketio_ok), event);
        // An alias `Result<T>` does not name its error: it is inferred, and
        // an error type that is not `Display` is reported at the return type.
        let err_ty = err.map(|err| quote!(::<#err>));
        let err_span = err.map_or_else(|| ty.span(), Spanned::span);
        let at = krate.at(err_span);
        let err_check = quote_spanned!(err_span=> #at::__private::reply_error #err_ty(#event, __socketio_err));
        let at = krate.at(ty.span());
        let split = quote_spanned!(ty.span()=> #at::__private::EventResult::into_result(__socketio_value));
        return quote! {{
            let __socketio_value = #value;
            match #split {
                ::core::result::Result::Ok(__socketio_ok) => #ok_reply,
                ::core::result::Result::Err(__socketio_err) => ::core::result::Result::Err(#err_check),
            }
        }};
    }
    if last_ident(ty).as_deref() == Some("Reply") {
        return quote!(::core::result::Result::Ok(#value));
    }
    if let Type::Tuple(_) = ty {
        let at = krate.at(ty.span());
        return quote_spanned!(ty.span()=> #at::__private::reply_args::<#ty>(#event, #value));
    }
    let at = krate.at(ty.span());
    quote_spanned!(ty.span()=> #at::__private::reply_one::<#ty>(#event, &#value))
}

/// Binds `__socketio_ack` for a method that answers its ack itself (a
/// detached sender when the client asked for no ack).
fn take_ack(krate: &CratePath) -> TokenStream {
    quote! {
        let __socketio_ack = match __socketio_event.take_ack() {
            ::core::option::Option::Some(ack) => ack,
            ::core::option::Option::None => #krate::AckSender::detached(__socketio_cx),
        };
    }
}

fn event_arm(krate: &CratePath, method: &Method, name: &str, positional: bool) -> TokenStream {
    let bindings: Vec<&Binding> = method
        .params
        .iter()
        .filter_map(|p| match p {
            Param::Bind(binding) => Some(&**binding),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = bindings.iter().map(|b| b.name.as_str()).collect();
    let mut statements = Vec::new();
    let mut bound = Vec::new();
    let has_rest = bindings.iter().any(|b| matches!(b.shape, Shape::Rest(_)));
    for (index, binding) in bindings.iter().enumerate() {
        let var = quote::format_ident!("__socketio_arg{}", index);
        let key = &binding.name;
        let bind = match &binding.shape {
            Shape::Required if binding.named_like_special => {
                let ty = &binding.ty;
                let at = krate.at(ty.span());
                quote_spanned!(ty.span()=> #at::__private::required_named_like_special::<#ty>(&__socketio_binder, #index, #key)?)
            }
            Shape::Required => {
                let ty = &binding.ty;
                quote_spanned!(ty.span()=> __socketio_binder.required::<#ty>(#index, #key)?)
            }
            Shape::Optional(inner) => {
                quote_spanned!(inner.span()=> __socketio_binder.optional::<#inner>(#index, #key)?)
            }
            // Last of all (the model checks it): the binder's borrow of the
            // event ends here, so the arguments can be moved out of it.
            Shape::Rest(inner) => {
                let at = krate.at(inner.span());
                quote_spanned!(inner.span()=> {
                    let __socketio_keyword = __socketio_binder.is_keyword();
                    #at::__private::rest::<#inner>(&mut __socketio_event, __socketio_keyword, #index, #key)?
                })
            }
        };
        statements.push(quote!(let #var = #bind;));
        bound.push(quote!(#var));
    }
    let finish = (!has_rest).then(|| {
        let count = bindings.len();
        quote!(__socketio_binder.finish(#count)?;)
    });
    let takes_ack = method.params.iter().any(|p| matches!(p, Param::Ack));
    let take_ack = takes_ack.then(|| take_ack(krate));
    let value = call(method, &call_args(method, &bound));
    let reply = reply(krate, method.output.as_ref(), value, name);
    quote! {{
        #take_ack
        let __socketio_binder = #krate::__private::Binder::new(&__socketio_event, &[#(#names),*], #positional);
        #(#statements)*
        #finish
        #reply
    }}
}

pub(crate) fn generate(item: &ItemImpl, model: &Model, args: &HandlerArgs) -> TokenStream {
    let (impl_generics, _, where_clause) = item.generics.split_for_impl();
    let self_ty = &item.self_ty;
    let krate = &args.krate;
    let find = |pred: fn(&Role) -> bool| model.methods.iter().find(|m| pred(&m.role));

    let on_open = find(|r| matches!(r, Role::OnOpen)).map(|method| {
        let value = call(method, &call_args(method, &[]));
        let body = if method.output.is_some() { value } else { quote!({ #value; true }) };
        quote! {
            fn on_open(&mut self, __socketio_cx: &#krate::Ctx) -> impl ::core::future::Future<Output = bool> + ::core::marker::Send {
                async move { #body }
            }
        }
    });
    let on_message = find(|r| matches!(r, Role::OnMessage)).map(|method| {
        let value = call(method, &call_args(method, &[]));
        quote! {
            fn on_message(&mut self, __socketio_cx: &#krate::Ctx, __socketio_message: #krate::Message) -> impl ::core::future::Future<Output = ()> + ::core::marker::Send {
                async move { #value; }
            }
        }
    });
    let on_close = find(|r| matches!(r, Role::OnClose)).map(|method| {
        let value = call(method, &call_args(method, &[]));
        quote! {
            fn on_close(&mut self, __socketio_cx: &#krate::Ctx) -> impl ::core::future::Future<Output = ()> + ::core::marker::Send {
                async move { #value; }
            }
        }
    });

    let events: Vec<(&Method, &str, bool)> = model
        .methods
        .iter()
        .filter_map(|m| match &m.role {
            Role::Event { name, positional } => Some((m, name.as_str(), *positional)),
            _ => None,
        })
        .collect();
    let fallback = find(|r| matches!(r, Role::Fallback));
    let on_event = (!events.is_empty() || fallback.is_some()).then(|| {
        let indices = 0..events.len();
        let names = events.iter().map(|(_, name, _)| *name);
        let arms = events.iter().enumerate().map(|(index, (method, name, positional))| {
            let arm = event_arm(krate, method, name, *positional);
            quote!(#index => #arm,)
        });
        let otherwise = match fallback {
            Some(method) => {
                let takes_ack = method.params.iter().any(|p| matches!(p, Param::Ack));
                let take_ack = takes_ack.then(|| take_ack(krate));
                let value = call(method, &call_args(method, &[]));
                let reply = reply(krate, method.output.as_ref(), value, "");
                quote!({ #take_ack #reply })
            }
            None => quote!(::core::result::Result::Err(#krate::DispatchError::UnknownEvent(
                ::core::clone::Clone::clone(&__socketio_event.name)
            ))),
        };
        let takes_or_moves = |p: &Param| match p {
            Param::Ack => true,
            Param::Bind(binding) => matches!(binding.shape, Shape::Rest(_)),
            _ => false,
        };
        let event_mut = if events.iter().any(|(m, _, _)| m.params.iter().any(takes_or_moves)) || fallback.is_some() {
            quote!(mut)
        } else {
            quote!()
        };
        quote! {
            fn on_event(
                &mut self,
                __socketio_cx: &#krate::Ctx,
                #event_mut __socketio_event: #krate::Event,
            ) -> impl ::core::future::Future<Output = ::core::result::Result<#krate::Reply, #krate::DispatchError>> + ::core::marker::Send {
                async move {
                    let __socketio_which: usize = match __socketio_event.name.as_str() {
                        #(#names => #indices,)*
                        _ => usize::MAX,
                    };
                    let __socketio_result: ::core::result::Result<#krate::Reply, #krate::DispatchError> =
                        match __socketio_which {
                            #(#arms)*
                            _ => #otherwise,
                        };
                    __socketio_result
                }
            }
        }
    });

    let endpoints = (!args.endpoints.is_empty()).then(|| {
        let entries = args.endpoints.iter().map(|(name, ty)| {
            let factory = quote_spanned!(ty.span()=> <#ty as ::core::default::Default>::default);
            quote!((#name, #krate::Endpoint::new(#factory)))
        });
        quote! {
            fn endpoints() -> ::std::vec::Vec<(&'static str, #krate::Endpoint)> {
                ::std::vec![#(#entries),*]
            }
        }
    });
    let resolver = find(|r| matches!(r, Role::Resolver)).map(|method| {
        let ident = &method.ident;
        // A signature that does not fit is reported at the method's name,
        // against the one expected.
        let resolve = quote_spanned!(ident.span()=> Self::#ident);
        quote! {
            fn resolve_endpoint(__socketio_name: &str) -> ::core::option::Option<#krate::Endpoint> {
                let __socketio_resolve: fn(&str) -> ::core::option::Option<#krate::Endpoint> = #resolve;
                __socketio_resolve(__socketio_name)
            }
        }
    });

    let typings = typings(item, model, args);

    quote! {
        #item

        #typings

        #[automatically_derived]
        impl #impl_generics #krate::Handler for #self_ty #where_clause {
            #on_open
            #on_message
            #on_event
            #on_close
            #endpoints
            #resolver
        }
    }
}

/// The handler's `socketio::typescript::HandlerTypings`, inside
/// `socketio::__typings!` (nothing without socketio's `typescript`
/// feature). A generic handler has none: its types are not known here.
fn typings(item: &ItemImpl, model: &Model, args: &HandlerArgs) -> TokenStream {
    let krate = &args.krate;
    // Each listed trait must be an emits trait, with or without typings:
    // those, and only those, every `Ctx` implements.
    let checks = args.emits.iter().map(|path| {
        let at = krate.at(path.span());
        quote_spanned!(path.span()=> const _: fn() = || {
            fn __socketio_emits_trait<T: ?::core::marker::Sized + #path>() {}
            __socketio_emits_trait::<#at::Ctx>();
        };)
    });
    if !item.generics.params.is_empty() {
        return quote!(#(#checks)*);
    }
    let self_ty = &item.self_ty;
    let events = model.methods.iter().filter_map(|method| {
        let Role::Event { name, positional } = &method.role else {
            return None;
        };
        let params = method.params.iter().filter_map(|param| {
            let Param::Bind(binding) = param else { return None };
            let (shape, ty) = match &binding.shape {
                Shape::Required => (quote!(Required), &binding.ty),
                Shape::Optional(inner) => (quote!(Optional), inner),
                Shape::Rest(inner) => (quote!(Rest), inner),
            };
            let name = &binding.name;
            let render = typings::renderer(krate, ty);
            Some(quote!((#name, #krate::typescript::Shape::#shape, #render)))
        });
        let takes_ack = method.params.iter().any(|p| matches!(p, Param::Ack));
        let ack = typings::ack(krate, method.output.as_ref(), takes_ack);
        Some(quote!(__socketio_ns.handles(#name, #positional, &[#(#params),*], #ack);))
    });
    let emits = args
        .emits
        .iter()
        .map(|path| quote_spanned!(path.span()=> <#krate::Ctx as #path>::__socketio_typings(__socketio_ns);));
    let endpoints = args
        .endpoints
        .iter()
        .map(|(name, ty)| quote_spanned!(ty.span()=> __socketio_typings.add::<#ty>(#name);));
    quote! {
        #(#checks)*

        #krate::__typings! {
            #[automatically_derived]
            impl #krate::typescript::HandlerTypings for #self_ty {
                fn describe(__socketio_ns: &mut #krate::typescript::Namespace) {
                    #(#events)*
                    #(#emits)*
                }
                fn endpoints(__socketio_typings: &mut #krate::typescript::Typings) {
                    #(#endpoints)*
                }
            }
        }
    }
}
