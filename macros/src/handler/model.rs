//! Parses an impl block into a checked model of its event methods and
//! hooks. Every misuse is reported at its own span; parsing goes on so the
//! user sees all errors at once.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, ImplItem, ImplItemFn, ItemImpl, LitStr, Pat, ReturnType, Token, Type};

use crate::crate_path::CratePath;
use crate::ctxt::Ctxt;
use crate::types::{crate_type_name, is_unit, last_ident, single_arg};

/// `#[socketio::handler(endpoints("/chat" => Chat, ...), crate = "path")]`.
#[derive(Default)]
pub(crate) struct HandlerArgs {
    pub(crate) endpoints: Vec<(LitStr, Type)>,
    /// `emits(Room, ...)`: the emits traits whose events this handler's
    /// namespace sends, for its typings.
    pub(crate) emits: Vec<syn::Path>,
    pub(crate) krate: CratePath,
}

impl HandlerArgs {
    pub(crate) fn parse(cx: &Ctxt, attr: proc_macro2::TokenStream) -> Self {
        let mut args = HandlerArgs::default();
        if attr.is_empty() {
            return args;
        }
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("endpoints") {
                let content;
                syn::parenthesized!(content in meta.input);
                let entries = content
                    .parse_terminated(
                        |input| {
                            let name: LitStr = input.parse()?;
                            input.parse::<Token![=>]>()?;
                            let ty: Type = input.parse()?;
                            Ok((name, ty))
                        },
                        Token![,],
                    )
                    .map_err(|error| {
                        syn::Error::new(
                            error.span(),
                            format!("{error}: write `endpoints(\"/name\" => Type, ...)`"),
                        )
                    })?;
                for (name, ty) in entries {
                    if !name.value().starts_with('/') {
                        cx.error(&name, "an endpoint name starts with `/`, like \"/chat\"");
                    } else if args.endpoints.iter().any(|(n, _)| n.value() == name.value()) {
                        cx.error(&name, format!("endpoint \"{}\" is listed twice", name.value()));
                    }
                    args.endpoints.push((name, ty));
                }
                Ok(())
            } else if meta.path.is_ident("emits") {
                let content;
                syn::parenthesized!(content in meta.input);
                let traits = content
                    .parse_terminated(syn::Path::parse_mod_style, Token![,])
                    .map_err(|error| {
                        syn::Error::new(
                            error.span(),
                            format!("{error}: write `emits(EmitsTrait, ...)` with the `#[socketio::emits]` traits"),
                        )
                    })?;
                args.emits.extend(traits);
                Ok(())
            } else if meta.path.is_ident("crate") {
                args.krate = CratePath::parse(&meta)?;
                Ok(())
            } else {
                Err(meta.error(
                    "unknown `handler` argument; expected `endpoints(\"/name\" => Type, ...)`, `emits(Trait, ...)` or `crate = \"path\"`",
                ))
            }
        });
        if let Err(error) = syn::parse::Parser::parse2(parser, attr) {
            cx.syn_error(error);
        }
        args
    }
}

/// What a special parameter is, recognized by how its type is written (the
/// rule is documented on `#[handler]` in `lib.rs`).
#[derive(Clone)]
pub(crate) enum Param {
    /// `&Ctx` or `Ctx`.
    Ctx { by_ref: bool },
    /// `&ConnectionInfo` or `ConnectionInfo`.
    Info { by_ref: bool },
    /// `AckSender`: the method answers the ack itself.
    Ack,
    /// `Event` (fallback only).
    Event,
    /// `Message` (`on_message` only).
    Message,
    /// An argument bound from the client's data.
    Bind(Box<Binding>),
}

#[derive(Clone)]
pub(crate) struct Binding {
    pub(crate) name: String,
    pub(crate) ty: Type,
    pub(crate) shape: Shape,
    /// Written as a bare `Event` or `Message` outside the hook that takes
    /// socketio's: bound like any argument, with an error that names both
    /// readings if the type cannot be.
    pub(crate) named_like_special: bool,
}

#[derive(Clone)]
pub(crate) enum Shape {
    Required,
    Optional(Type),
    Rest(Type),
}

pub(crate) enum Role {
    Event { name: String, positional: bool },
    OnOpen,
    OnMessage,
    OnClose,
    Fallback,
    Resolver,
}

impl Role {
    fn describe(&self) -> &'static str {
        match self {
            Role::Event { .. } => "an event method",
            Role::OnOpen => "`on_open`",
            Role::OnMessage => "`on_message`",
            Role::OnClose => "`on_close`",
            Role::Fallback => "the fallback",
            Role::Resolver => "the endpoint resolver",
        }
    }
}

pub(crate) struct Method {
    pub(crate) ident: syn::Ident,
    pub(crate) is_async: bool,
    pub(crate) params: Vec<Param>,
    pub(crate) output: Option<Type>,
    pub(crate) role: Role,
}

pub(crate) struct Model {
    pub(crate) methods: Vec<Method>,
}

const ROLE_ATTRS: &[&str] = &[
    "event",
    "on_open",
    "on_message",
    "on_close",
    "fallback",
    "endpoint_resolver",
];

fn attr_name(attr: &Attribute) -> Option<String> {
    let path = attr.path();
    let last = path.segments.last()?.ident.to_string();
    let qualified_ok = path.segments.len() == 1 || (path.segments.len() == 2 && path.segments[0].ident == "socketio");
    (qualified_ok && ROLE_ATTRS.contains(&last.as_str())).then_some(last)
}

fn parse_event_attr(cx: &Ctxt, attr: &Attribute, method: &syn::Ident) -> (String, bool) {
    let mut name = method.to_string();
    let mut positional = false;
    if matches!(attr.meta, syn::Meta::Path(_)) {
        return (name, positional);
    }
    const EXPECTED: &str = "expected a name (\"ping\"), `name = \"...\"` or `positional`";
    let event_name = |lit: LitStr| {
        if lit.value().is_empty() {
            return Err(syn::Error::new(
                lit.span(),
                "an event name cannot be empty: write the name the client emits, like \"ping\"",
            ));
        }
        Ok(lit.value())
    };
    let result = attr.parse_args_with(|input: syn::parse::ParseStream<'_>| {
        if input.peek(LitStr) {
            name = event_name(input.parse()?)?;
            if input.is_empty() {
                return Ok(());
            }
            input.parse::<Token![,]>()?;
        }
        while !input.is_empty() {
            let key: syn::Ident = input
                .parse()
                .map_err(|error| syn::Error::new(error.span(), format!("unknown `event` argument; {EXPECTED}")))?;
            if key == "positional" {
                positional = true;
            } else if key == "name" {
                input.parse::<Token![=]>()?;
                name = event_name(input.parse()?)?;
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    format!("unknown `event` argument `{key}`; {EXPECTED}"),
                ));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(())
    });
    if let Err(error) = result {
        cx.syn_error(error);
    }
    (name, positional)
}

fn classify(cx: &Ctxt, arg: &syn::PatType, rest: bool, role: &Role, krate: &[String]) -> Param {
    let ty = &*arg.ty;
    let by_ref = matches!(ty, Type::Reference(_));
    let named = crate_type_name(ty, krate);
    // A bare `Event` or `Message` is socketio's only where the hook takes
    // it; elsewhere it is the user's own type of that name.
    let in_its_hook = |name: &str| match name {
        "Event" => matches!(role, Role::Fallback),
        "Message" => matches!(role, Role::OnMessage),
        _ => true,
    };
    match &named {
        Some((name, _)) if name == "Ctx" => return Param::Ctx { by_ref },
        Some((name, _)) if name == "ConnectionInfo" => return Param::Info { by_ref },
        Some((name, bare))
            if matches!(name.as_str(), "AckSender" | "Event" | "Message") && (!bare || in_its_hook(name)) =>
        {
            if by_ref {
                cx.error(ty, format!("take the `{name}` by value: write `{name}`, not `&{name}`"));
            }
            return match name.as_str() {
                "AckSender" => Param::Ack,
                "Event" => Param::Event,
                _ => Param::Message,
            };
        }
        _ => {}
    }
    let named_like_special = !by_ref && matches!(&named, Some((name, true)) if name == "Event" || name == "Message");
    let name = match &*arg.pat {
        Pat::Ident(ident) => ident.ident.to_string().trim_start_matches("r#").to_owned(),
        other => {
            cx.error(
                other,
                "bind event arguments to plain names: the name is the keyword for keyword-style calls",
            );
            String::new()
        }
    };
    if let Type::Reference(reference) = ty {
        let hint = if last_ident(&reference.elem).as_deref() == Some("str") {
            "`String`"
        } else {
            "an owned type"
        };
        cx.error(
            ty,
            format!("event arguments are deserialized into owned values: use {hint} instead of a reference"),
        );
    }
    if let Type::ImplTrait(_) = ty {
        cx.error(ty, "`impl Trait` cannot be an event argument: name a concrete type");
    }
    let shape = if rest {
        match single_arg(ty, "Vec") {
            Some(inner) => Shape::Rest(inner.clone()),
            None => {
                cx.error(
                    ty,
                    "a `#[rest]` parameter collects the remaining arguments: give it type `Vec<T>`",
                );
                Shape::Required
            }
        }
    } else if let Some(inner) = single_arg(ty, "Option") {
        Shape::Optional(inner.clone())
    } else {
        Shape::Required
    };
    Param::Bind(Box::new(Binding {
        name,
        ty: ty.clone(),
        shape,
        named_like_special,
    }))
}

/// Removes a `#[rest]` attribute from the parameter, returning it.
fn take_rest_attr(cx: &Ctxt, arg: &mut syn::PatType) -> Option<Attribute> {
    let mut rest = None;
    arg.attrs.retain(|attr| {
        if attr.path().is_ident("rest") {
            if let syn::Meta::List(list) = &attr.meta {
                cx.error(
                    &list.tokens,
                    "`#[rest]` takes no arguments: write `#[rest] name: Vec<T>`",
                );
            }
            rest = Some(attr.clone());
            false
        } else {
            true
        }
    });
    rest
}

/// What to write instead of an `Event` or `Message` parameter.
fn instead(role: &Role) -> String {
    match role {
        Role::Event { .. } => "an event method names its arguments, like `text: String`".to_owned(),
        other => format!("{} cannot take one", other.describe()),
    }
}

fn check_params(cx: &Ctxt, role: &Role, params: &[(Param, Span)]) {
    let mut seen_ctx = false;
    let mut seen_info = false;
    let mut seen_ack = false;
    let binds: Vec<usize> = params
        .iter()
        .enumerate()
        .filter(|(_, (p, _))| matches!(p, Param::Bind(_)))
        .map(|(i, _)| i)
        .collect();
    for (index, (param, span)) in params.iter().enumerate() {
        let error = |message: String| cx.syn_error(syn::Error::new(*span, message));
        match param {
            Param::Ctx { .. } if seen_ctx => error("only one context parameter is allowed: remove this one".into()),
            Param::Ctx { .. } => seen_ctx = true,
            Param::Info { .. } if seen_info => error("only one `ConnectionInfo` parameter is allowed: remove this one".into()),
            Param::Info { .. } => seen_info = true,
            Param::Ack if !matches!(role, Role::Event { .. } | Role::Fallback) => error(format!(
                "{} cannot take an `AckSender`: only events answer acks",
                role.describe()
            )),
            Param::Ack if seen_ack => error("only one `AckSender` parameter is allowed: remove this one".into()),
            Param::Ack => seen_ack = true,
            Param::Event if !matches!(role, Role::Fallback) => error(format!(
                "only the `#[fallback]` method takes the whole `Event`; {}",
                instead(role)
            )),
            Param::Message if !matches!(role, Role::OnMessage) => {
                error(format!("only `on_message` takes a `Message`; {}", instead(role)))
            }
            Param::Bind(binding) => match role {
                Role::Event { .. } => {
                    if matches!(binding.shape, Shape::Rest(_)) && binds.last() != Some(&index) {
                        error("`#[rest]` must be the last argument".into());
                    }
                }
                Role::Fallback => error(
                    "the fallback cannot take event arguments: take the whole `event: socketio::Event` and read `event.args`"
                        .into(),
                ),
                other => error(format!(
                    "{} cannot take event arguments; it may take `&Ctx`{}",
                    other.describe(),
                    match other {
                        Role::OnOpen => " and `&ConnectionInfo`",
                        Role::OnMessage => " and a `Message`",
                        _ => "",
                    }
                )),
            },
            _ => {}
        }
    }
    if matches!(role, Role::OnMessage) && !params.iter().any(|(p, _)| matches!(p, Param::Message)) {
        cx.syn_error(syn::Error::new(
            params.first().map_or_else(Span::call_site, |(_, s)| *s),
            "`on_message` takes the message: add a parameter `message: socketio::Message`",
        ));
    }
}

fn role_of(cx: &Ctxt, method: &mut ImplItemFn) -> Option<Role> {
    let mut role = None;
    let mut role_attr: Option<Attribute> = None;
    method.attrs.retain(|attr| match attr_name(attr) {
        Some(name) => {
            if let Some(previous) = &role_attr {
                cx.error(
                    attr,
                    format!(
                        "`#[{}]` already marks this method: a method has one role, remove this attribute",
                        previous
                            .path()
                            .segments
                            .last()
                            .map(|s| s.ident.to_string())
                            .unwrap_or_default()
                    ),
                );
            } else {
                role = Some(match name.as_str() {
                    "event" => {
                        let (name, positional) = parse_event_attr(cx, attr, &method.sig.ident);
                        Role::Event { name, positional }
                    }
                    "on_open" => Role::OnOpen,
                    "on_message" => Role::OnMessage,
                    "on_close" => Role::OnClose,
                    "fallback" => Role::Fallback,
                    _ => Role::Resolver,
                });
                if name != "event"
                    && let syn::Meta::List(list) = &attr.meta
                {
                    cx.error(
                        &list.tokens,
                        format!("`#[{name}]` takes no arguments: write `#[{name}]`"),
                    );
                }
                role_attr = Some(attr.clone());
            }
            false
        }
        None => true,
    });
    role.or_else(|| match method.sig.ident.to_string().as_str() {
        "on_open" => Some(Role::OnOpen),
        "on_message" => Some(Role::OnMessage),
        "on_close" => Some(Role::OnClose),
        _ => None,
    })
}

/// Parses the impl block, removing the attributes this macro consumes.
pub(crate) fn parse(cx: &Ctxt, item: &mut ItemImpl, krate: &CratePath) -> Model {
    let krate = krate.segments();
    if let Some((_, path, _)) = &item.trait_ {
        cx.error(
            path,
            "`#[socketio::handler]` goes on an inherent impl block (`impl MyHandler { ... }`), not a trait impl",
        );
    }
    let mut methods: Vec<Method> = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else { continue };
        let Some(role) = role_of(cx, method) else { continue };
        let sig = &mut method.sig;
        if !sig.generics.params.is_empty() {
            cx.error(
                &sig.generics,
                format!("{} cannot be generic: name concrete types", role.describe()),
            );
        }
        let receiver = sig.inputs.iter().find_map(|arg| match arg {
            FnArg::Receiver(receiver) => Some(receiver.clone()),
            FnArg::Typed(_) => None,
        });
        match (&role, &receiver) {
            (Role::Resolver, Some(receiver)) => cx.error(
                receiver,
                "the endpoint resolver is an associated function: `fn resolve(name: &str) -> Option<Endpoint>`",
            ),
            (Role::Resolver, None) => {}
            (_, None) => cx.error(&sig.ident, format!("{} takes `&self` or `&mut self`", role.describe())),
            (_, Some(receiver)) if receiver.reference.is_none() => cx.error(
                receiver,
                "take `&self` or `&mut self`: the handler lives as long as its connection",
            ),
            _ => {}
        }
        let mut params = Vec::new();
        if matches!(role, Role::Resolver) {
            let typed: Vec<&syn::PatType> = sig
                .inputs
                .iter()
                .filter_map(|arg| match arg {
                    FnArg::Typed(arg) => Some(arg),
                    FnArg::Receiver(_) => None,
                })
                .collect();
            if typed.len() != 1 {
                let message =
                    "the endpoint resolver takes the endpoint's name: `fn resolve(name: &str) -> Option<Endpoint>`";
                if sig.inputs.is_empty() {
                    cx.error(&sig.ident, message);
                } else {
                    cx.error(&sig.inputs, message);
                }
            }
        } else {
            for arg in &mut sig.inputs {
                let FnArg::Typed(arg) = arg else { continue };
                let rest = take_rest_attr(cx, arg);
                if let Some(attr) = &rest
                    && !matches!(role, Role::Event { .. })
                {
                    cx.error(
                        attr,
                        format!(
                            "`#[rest]` marks the last argument of an event method, not of {}",
                            role.describe()
                        ),
                    );
                }
                params.push((classify(cx, arg, rest.is_some(), &role, &krate), arg.span()));
            }
            check_params(cx, &role, &params);
        }
        let output = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) if is_unit(ty) => None,
            ReturnType::Type(_, ty) => Some((**ty).clone()),
        };
        match (&role, &output) {
            (Role::OnOpen, Some(ty)) if last_ident(ty).as_deref() != Some("bool") => {
                cx.error(ty, "`on_open` returns `bool` (false refuses the connection) or nothing")
            }
            (Role::OnMessage | Role::OnClose, Some(ty)) => cx.error(
                ty,
                format!("{} returns nothing: remove the return type", role.describe()),
            ),
            (Role::Resolver, None) => cx.error(
                &sig.ident,
                "the endpoint resolver returns `Option<socketio::Endpoint>` (`None` refuses the endpoint)",
            ),
            _ => {}
        }
        if sig.asyncness.is_some() && matches!(role, Role::Resolver) {
            cx.error(
                sig.asyncness,
                "the endpoint resolver is a plain function, called for each new endpoint name: remove `async`",
            );
        }
        let duplicate = methods.iter().find(|m| match (&m.role, &role) {
            (Role::Event { name: a, .. }, Role::Event { name: b, .. }) => a == b,
            (Role::Event { .. }, _) | (_, Role::Event { .. }) => false,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        });
        if let Some(first) = duplicate {
            let what = match &role {
                Role::Event { name, .. } => format!("event \"{name}\" is already handled by `{}`", first.ident),
                other => format!(
                    "`{}` is a second {}, the first is `{}`: a handler has only one",
                    sig.ident,
                    match other {
                        Role::OnOpen => "`on_open` hook",
                        Role::OnMessage => "`on_message` hook",
                        Role::OnClose => "`on_close` hook",
                        Role::Fallback => "fallback",
                        _ => "endpoint resolver",
                    },
                    first.ident
                ),
            };
            cx.error(&sig.ident, what);
        }
        methods.push(Method {
            ident: sig.ident.clone(),
            is_async: sig.asyncness.is_some(),
            params: params.into_iter().map(|(p, _)| p).collect(),
            output,
            role,
        });
    }
    Model { methods }
}
