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
