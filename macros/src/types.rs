//! Recognizing the shapes of types the macros treat specially.

use syn::{GenericArgument, PathArguments, Type};

/// The last path segment's name, through references and parentheses.
pub(crate) fn last_ident(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().map(|s| s.ident.to_string()),
        Type::Reference(reference) => last_ident(&reference.elem),
        Type::Paren(paren) => last_ident(&paren.elem),
        Type::Group(group) => last_ident(&group.elem),
        _ => None,
    }
}

/// A type that may name one of the crate's own: `Name` or `&Name` written
/// bare (`bare` is true), or behind a path ending in `socketio::` or equal
/// to the `crate = "path"` option (`krate`).
pub(crate) fn crate_type_name(ty: &Type, krate: &[String]) -> Option<(String, bool)> {
    let path = match ty {
        Type::Path(path) if path.qself.is_none() => &path.path,
        Type::Reference(reference) => return crate_type_name(&reference.elem, krate),
        Type::Paren(paren) => return crate_type_name(&paren.elem, krate),
        Type::Group(group) => return crate_type_name(&group.elem, krate),
        _ => return None,
    };
    let mut segments: Vec<&syn::PathSegment> = path.segments.iter().collect();
    let last = segments.pop()?;
    if !last.arguments.is_none() {
        return None;
    }
    let prefix: Vec<String> = segments.iter().map(|s| s.ident.to_string()).collect();
    let bare = prefix.is_empty() && path.leading_colon.is_none();
    let qualified = prefix.last().is_some_and(|s| s == "socketio") || prefix == krate;
    (bare || qualified).then(|| (last.ident.to_string(), bare))
}

/// The generic arguments of the last path segment (`Option<T>` -> `[T]`).
pub(crate) fn generic_args(ty: &Type) -> Vec<&Type> {
    let Type::Path(path) = ty else { return Vec::new() };
    let Some(segment) = path.path.segments.last() else {
        return Vec::new();
    };
    let PathArguments::AngleBracketed(args) = &segment.arguments else {
        return Vec::new();
    };
    args.args
        .iter()
        .filter_map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect()
}

/// `Name<T>` with exactly one type argument: that argument.
pub(crate) fn single_arg<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    if last_ident(ty).as_deref() != Some(name) || matches!(ty, Type::Reference(_)) {
        return None;
    }
    match generic_args(ty).as_slice() {
        [inner] => Some(inner),
        _ => None,
    }
}

pub(crate) fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(tuple) if tuple.elems.is_empty())
}

/// `Result<T, E>` or an alias `Result<T>` (by its last segment's name):
/// `(T, Some(E))` or `(T, None)`.
pub(crate) fn result_parts(ty: &Type) -> Option<(&Type, Option<&Type>)> {
    if last_ident(ty).as_deref() != Some("Result") || matches!(ty, Type::Reference(_)) {
        return None;
    }
    match generic_args(ty).as_slice() {
        [ok] => Some((ok, None)),
        [ok, err] => Some((ok, Some(err))),
        _ => None,
    }
}
