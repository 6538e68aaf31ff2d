//! One namespace's events, as the macros describe them, and their
//! rendering as socket.io-client 4's two event maps.

use std::fmt::Write as _;

use super::types::{Render, RenderFn};

/// The events of one namespace: those its handler handles and those its
/// emits traits send. Filled by the code `#[socketio::handler]` and
/// `#[socketio::emits]` generate.
#[derive(Debug, Default)]
pub struct Namespace {
    handled: Vec<Handled>,
    emitted: Vec<Emitted>,
}

/// How a handler's parameter binds. Not a public API.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Must be sent.
    Required,
    /// `Option<T>`: may be missing or `null`; the renderer is `T`'s.
    Optional,
    /// `#[rest] Vec<T>`: every remaining argument; the renderer is `T`'s.
    Rest,
}

/// What a handled event answers its ack with. Not a public API.
#[doc(hidden)]
#[derive(Debug)]
pub enum Ack {
    /// Nothing to answer: the client passes no callback.
    None,
    /// The values of the answer, one per ack argument.
    Values(Vec<RenderFn>),
    /// Answered by hand (`AckSender`, `Reply`): any arguments.
    Any,
}

#[derive(Debug)]
struct Handled {
    name: &'static str,
    positional: bool,
    params: Vec<(&'static str, Shape, RenderFn)>,
    ack: Ack,
}

#[derive(Debug)]
struct Emitted {
    name: &'static str,
    args: Vec<(&'static str, RenderFn)>,
    answer: Option<Vec<RenderFn>>,
}

impl Namespace {
    /// An event the handler handles. Not a public API.
    #[doc(hidden)]
    pub fn handles(
        &mut self,
        name: &'static str,
        positional: bool,
        params: &[(&'static str, Shape, RenderFn)],
        ack: Ack,
    ) {
        self.handled.push(Handled {
            name,
            positional,
            params: params.to_vec(),
            ack,
        });
    }

    /// An event the server sends, with the answer it awaits if it asks.
    /// Not a public API.
    #[doc(hidden)]
    pub fn emits(&mut self, name: &'static str, args: &[(&'static str, RenderFn)], answer: Option<&[RenderFn]>) {
        self.emitted.push(Emitted {
            name,
            args: args.to_vec(),
            answer: answer.map(<[RenderFn]>::to_vec),
        });
    }

    /// The two interfaces, in the order written; declarations collected
    /// into `render`.
    pub(crate) fn interfaces(&self, render: &mut Render) -> String {
        let mut out = String::new();
        out.push_str("/** The events the server sends: `socket.on(event, listener)`. */\n");
        out.push_str("export interface ServerToClientEvents {\n");
        for event in &self.emitted {
            render.sending = false;
            let mut params: Vec<String> = event
                .args
                .iter()
                .map(|(name, ty)| format!("{}: {}", param_name(name), ty(render)))
                .collect();
            if let Some(answer) = &event.answer {
                render.sending = true;
                params.push(format!("callback: {}", callback(answer, render)));
            }
            let _ = writeln!(out, "  {}: ({}) => void;", key(event.name), params.join(", "));
        }
        out.push_str("}\n\n");
        out.push_str("/** The events the server handles: `socket.emit(event, ...args)`. */\n");
        out.push_str("export interface ClientToServerEvents {\n");
        for event in &self.handled {
            let _ = writeln!(out, "  {}: {} => void;", key(event.name), handled_params(event, render));
        }
        out.push_str("}\n");
        out
    }
}

/// The ack callback: the server's answer arrives as its arguments.
fn callback(values: &[RenderFn], render: &mut Render) -> String {
    let args: Vec<String> = match values {
        [one] => vec![format!("value: {}", one(render))],
        many => many
            .iter()
            .enumerate()
            .map(|(index, ty)| format!("arg{index}: {}", ty(render)))
            .collect(),
    };
    format!("({}) => void", args.join(", "))
}

/// A handled event's parameter list: positional, and unless the event is
/// `positional`, the keyword form as a second tuple (socket.io-client reads
/// an event's parameters with `Parameters<>`, which sees only the last of
/// several overloads, so the two forms are a union of tuples).
fn handled_params(event: &Handled, render: &mut Render) -> String {
    let ack = match &event.ack {
        Ack::None => None,
        Ack::Values(values) => {
            render.sending = false;
            Some(callback(values, render))
        }
        Ack::Any => Some("(...args: Array<unknown>) => void".to_owned()),
    };
    render.sending = true;
    let count = event.params.len();
    let mut positional = Vec::new();
    for (index, (name, shape, ty)) in event.params.iter().enumerate() {
        let name = param_name(name);
        let ty = ty(render);
        positional.push(match shape {
            Shape::Required => format!("{name}: {ty}"),
            // Optional only where nothing required follows it.
            Shape::Optional
                if ack.is_none()
                    && event.params[index + 1..count]
                        .iter()
                        .all(|(_, s, _)| *s == Shape::Optional) =>
            {
                format!("{name}?: {ty} | null")
            }
            Shape::Optional => format!("{name}: {ty} | null"),
            Shape::Rest => format!("...{name}: Array<{ty}>"),
        });
    }
    if let Some(ack) = &ack {
        positional.push(format!("callback: {ack}"));
    }
    let fields: Vec<String> = event
        .params
        .iter()
        .filter(|(_, shape, _)| *shape != Shape::Rest)
        .map(|(name, shape, ty)| match shape {
            Shape::Optional => format!("{}?: {} | null", key(name), ty(render)),
            _ => format!("{}: {}", key(name), ty(render)),
        })
        .collect();
    if event.positional || fields.is_empty() {
        return format!("({})", positional.join(", "));
    }
    let mut keyword = vec![format!("args: {{ {} }}", fields.join("; "))];
    if let Some(ack) = &ack {
        keyword.push(format!("callback: {ack}"));
    }
    format!("(...args: [{}] | [{}])", positional.join(", "), keyword.join(", "))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A property key: bare when it is an identifier, else a string literal.
fn key(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        serde_json::Value::from(name).to_string()
    }
}

/// JavaScript's reserved words cannot name a parameter: a Rust parameter
/// so named (`r#new`) gets a trailing `_` (the name is documentation only).
fn param_name(name: &str) -> String {
    const RESERVED: &[&str] = &[
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "new",
        "null",
        "return",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "let",
        "static",
        "implements",
        "interface",
        "package",
        "private",
        "protected",
        "public",
        "await",
    ];
    if RESERVED.contains(&name) {
        format!("{name}_")
    } else {
        name.to_owned()
    }
}
