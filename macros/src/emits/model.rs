//! Parses an emits trait into a model of its events. Every misuse is
//! reported at its own span; parsing goes on, and each event keeps as much
//! of its signature as can be read, so the trait is still generated.

use syn::{FnArg, ItemTrait, LitStr, Pat, ReturnType, TraitItem, Type};

use crate::crate_path::CratePath;
use crate::ctxt::Ctxt;
use crate::types::is_unit;

/// `#[socketio::emits(crate = "path")]`.
#[derive(Default)]
pub(crate) struct EmitsArgs {
    pub(crate) krate: CratePath,
}

impl EmitsArgs {
    pub(crate) fn parse(cx: &Ctxt, attr: proc_macro2::TokenStream) -> Self {
        let mut args = EmitsArgs::default();
        if attr.is_empty() {
            return args;
        }
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("crate") {
                args.krate = CratePath::parse(&meta)?;
                Ok(())
            } else {
                Err(syn::Error::new_spanned(
                    meta.path,
                    "`#[socketio::emits]` takes only `crate = \"path\"`: each method names an event, renamed with `#[event(\"name\")]`",
                ))
            }
        });
        if let Err(error) = syn::parse::Parser::parse2(parser, attr) {
            cx.syn_error(error);
        }
        args
    }
}

/// One declared event: `fn name(args...) -> Answer;`.
pub(crate) struct Event {
    pub(crate) method: syn::Ident,
    pub(crate) event: String,
    pub(crate) args: Vec<(syn::Ident, Type)>,
    pub(crate) answer: Option<Type>,
    pub(crate) docs: Vec<syn::Attribute>,
    /// The event's own generic parameters (an error), kept for its stub.
    pub(crate) generics: syn::Generics,
    /// Declared generic, or in a generic trait (an error): generated with
    /// its signature and no body, so that its callers still type-check and
    /// the one mistake is the one error.
    pub(crate) stub: bool,
}

pub(crate) struct Model {
    pub(crate) events: Vec<Event>,
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

fn parse_event(cx: &Ctxt, function: &mut syn::TraitItemFn) -> Event {
    let event = event_name(cx, function);
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
            FnArg::Typed(arg) => {
                let name = match &*arg.pat {
                    Pat::Ident(ident) => ident.ident.clone(),
                    other => {
                        cx.error(
                            other,
                            "name each argument, like `x: i32`: the name becomes the emit method's parameter",
                        );
                        // Still an argument of the generated method, so
                        // its callers are not reported too.
                        quote::format_ident!("__socketio_arg{}", args.len())
                    }
                };
                args.push((name, (*arg.ty).clone()));
            }
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
    Event {
        method: sig.ident.clone(),
        event,
        args,
        answer,
        docs,
        generics: sig.generics.clone(),
        stub: !sig.generics.params.is_empty(),
    }
}

/// Parses the trait, removing the attributes this macro consumes.
pub(crate) fn parse(cx: &Ctxt, item: &mut ItemTrait) -> Model {
    let generic_trait = !item.generics.params.is_empty();
    if generic_trait {
        cx.error(
            &item.generics,
            "an emits trait cannot be generic: give its events' arguments concrete types",
        );
    }
    let mut events = Vec::new();
    for trait_item in &mut item.items {
        let TraitItem::Fn(function) = trait_item else {
            cx.error(
                &*trait_item,
                "an emits trait declares only events, as `fn name(arg: Type, ...);`",
            );
            continue;
        };
        let mut event = parse_event(cx, function);
        event.stub |= generic_trait;
        events.push(event);
    }
    Model { events }
}
