//! Rust types as TypeScript types: the argument types a handler binds or an
//! emits trait sends. The types that travel specially on the wire (binary
//! attachments, raw JSON) and the std types around them are ours
//! ([`TypeScript`]); every other type, the user's structs and enums above
//! all, is ts-rs's `TS` (derived, serde-aware).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::marker::PhantomData;

use ts_rs::{TS, TypeVisitor};

use super::Binary;

/// Renders one type; collects the declarations of the user types it names.
pub type RenderFn = fn(&mut Render) -> String;

/// What a type renders against: which way the value travels (binary is
/// received as one type and may be sent as several), the binary choice,
/// and the declarations found so far.
pub struct Render {
    pub(crate) cfg: ts_rs::Config,
    pub(crate) binary: Binary,
    /// The client sends this value (an event's argument, an answer to an
    /// `ask_`); otherwise it receives it.
    pub(crate) sending: bool,
    /// Declarations by TypeScript name, sorted so the output is stable.
    pub(crate) decls: BTreeMap<String, String>,
    /// Rust types already walked, so recursive types end.
    seen: HashSet<&'static str>,
    /// Rust types without a TypeScript form, typed `unknown`.
    pub(crate) untyped: BTreeSet<&'static str>,
}

impl Render {
    pub(crate) fn new(binary: Binary) -> Self {
        Render {
            // Numbers travel as JSON numbers, never as `bigint`.
            cfg: ts_rs::Config::new().with_large_int("number"),
            binary,
            sending: true,
            decls: BTreeMap::new(),
            seen: HashSet::new(),
            untyped: BTreeSet::new(),
        }
    }

    /// A ts-rs type's name, its declaration and those of the types it uses.
    fn ts_rs<T: TS + 'static + ?Sized>(&mut self) -> String {
        self.collect::<T>();
        T::name(&self.cfg)
    }

    fn collect<T: TS + 'static + ?Sized>(&mut self) {
        if !self.seen.insert(std::any::type_name::<T>()) {
            return;
        }
        // A type with an output path is a declared (derived) one; the
        // others (std types, primitives) are written inline.
        if T::output_path().is_some() {
            let docs = T::docs().unwrap_or_default();
            let decl = format!("{docs}export {}", T::decl(&self.cfg));
            self.decls.insert(T::ident(&self.cfg), decl);
        }
        struct Walk<'a>(&'a mut Render);
        impl TypeVisitor for Walk<'_> {
            fn visit<U: TS + 'static + ?Sized>(&mut self) {
                self.0.collect::<U>();
            }
        }
        T::visit_dependencies(&mut Walk(self));
        T::visit_generics(&mut Walk(self));
    }
}

impl std::fmt::Debug for Render {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Render")
            .field("binary", &self.binary)
            .field("sending", &self.sending)
            .field("decls", &self.decls.keys())
            .finish_non_exhaustive()
    }
}

/// How socketio writes a Rust type in TypeScript, for the types whose wire
/// form ts-rs cannot know (binary attachments, raw JSON) and the std types
/// that hold them. Every other type is rendered by ts-rs's `TS`.
pub trait TypeScript {
    /// The TypeScript type.
    fn render(render: &mut Render) -> String;
}

macro_rules! leaf {
    ($ts:literal: $($ty:ty),*) => {
        $(impl TypeScript for $ty {
            fn render(_: &mut Render) -> String {
                $ts.to_owned()
            }
        })*
    };
}

// A JSON value of any shape: the client must narrow what it receives.
leaf!("unknown": serde_json::Value, crate::RawJson, serde_json::value::RawValue);

/// Binary travels as an attachment: the client may send any buffer and
/// receives the one its platform decodes attachments to.
fn binary(render: &mut Render) -> String {
    match (render.sending, render.binary) {
        (true, _) => "ArrayBuffer | ArrayBufferView".to_owned(),
        (false, Binary::Browser) => "ArrayBuffer".to_owned(),
        (false, Binary::Node) => "Buffer".to_owned(),
    }
}

macro_rules! binary {
    ($($ty:ty),*) => {
        $(impl TypeScript for $ty {
            fn render(render: &mut Render) -> String {
                binary(render)
            }
        })*
    };
}

binary!(bytes::Bytes, bytes::BytesMut, serde_bytes::ByteBuf, serde_bytes::Bytes);

impl<const N: usize> TypeScript for serde_bytes::ByteArray<N> {
    fn render(render: &mut Render) -> String {
        binary(render)
    }
}

impl<T: TypeScript> TypeScript for Option<T> {
    fn render(render: &mut Render) -> String {
        format!("{} | null", T::render(render))
    }
}

macro_rules! through {
    ($($ty:ty),*) => {
        $(impl<T: TypeScript + ?Sized> TypeScript for $ty {
            fn render(render: &mut Render) -> String {
                T::render(render)
            }
        })*
    };
}

through!(Box<T>, std::sync::Arc<T>, std::rc::Rc<T>, &T);

fn array<T: TypeScript + ?Sized>(render: &mut Render) -> String {
    format!("Array<{}>", T::render(render))
}

macro_rules! sequence {
    ($($ty:ty),*) => {
        $(impl<T: TypeScript> TypeScript for $ty {
            fn render(render: &mut Render) -> String {
                array::<T>(render)
            }
        })*
    };
}

sequence!(Vec<T>, [T], VecDeque<T>, BTreeSet<T>);

impl<T: TypeScript, S> TypeScript for HashSet<T, S> {
    fn render(render: &mut Render) -> String {
        array::<T>(render)
    }
}

impl<T: TypeScript, const N: usize> TypeScript for [T; N] {
    fn render(render: &mut Render) -> String {
        array::<T>(render)
    }
}

// Maps are JSON objects: keys are strings on the wire.
impl<K, V: TypeScript, S> TypeScript for HashMap<K, V, S> {
    fn render(render: &mut Render) -> String {
        format!("Record<string, {}>", V::render(render))
    }
}

impl<K, V: TypeScript> TypeScript for BTreeMap<K, V> {
    fn render(render: &mut Render) -> String {
        format!("Record<string, {}>", V::render(render))
    }
}

/// Picks how to render `T` at a concrete type (autoref specialization):
/// socketio's [`TypeScript`] first, ts-rs's `TS` next, and otherwise an
/// error that says what to derive.
#[derive(Debug)]
pub struct Probe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Probe<T> {
    /// A probe for `T`.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Probe(PhantomData)
    }
}

/// First choice: socketio's own rendering.
pub trait ViaSocketio {
    /// The renderer.
    fn renderer(&self) -> RenderFn;
}

impl<T: TypeScript + ?Sized> ViaSocketio for &&Probe<T> {
    fn renderer(&self) -> RenderFn {
        T::render
    }
}

/// Second choice: ts-rs.
pub trait ViaTsRs {
    /// The renderer.
    fn renderer(&self) -> RenderFn;
}

impl<T: TS + 'static + ?Sized> ViaTsRs for &Probe<T> {
    fn renderer(&self) -> RenderFn {
        Render::ts_rs::<T>
    }
}

/// Last: neither knows the type. It is typed `unknown` and named in the
/// file's header, rather than refused: cargo unifies features, so turning
/// typings on for one crate must not break the handlers of another.
pub trait Unrenderable {
    /// The renderer.
    fn renderer(&self) -> RenderFn;
}

impl<T: ?Sized> Unrenderable for Probe<T> {
    fn renderer(&self) -> RenderFn {
        untyped::<T>
    }
}

fn untyped<T: ?Sized>(render: &mut Render) -> String {
    render.untyped.insert(std::any::type_name::<T>());
    "unknown".to_owned()
}
