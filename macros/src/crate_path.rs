//! The `crate = "path"` option of both attributes: where generated code
//! finds the `socketio` crate, for crates that re-export it.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote_spanned};
use syn::LitStr;
use syn::meta::ParseNestedMeta;

/// `::socketio` unless the user named another path.
#[derive(Default)]
pub(crate) struct CratePath {
    path: Option<syn::Path>,
}

impl CratePath {
    /// Reads the value of `crate = "path"`.
    pub(crate) fn parse(meta: &ParseNestedMeta<'_>) -> syn::Result<Self> {
        const EXPECTED: &str =
            "write the path to the socketio crate as a string, like `crate = \"my_reexport::socketio\"`";
        let lit: LitStr = meta
            .value()
            .and_then(|value| value.parse())
            .map_err(|error| syn::Error::new(error.span(), EXPECTED))?;
        let path = lit
            .parse_with(syn::Path::parse_mod_style)
            .map_err(|_| syn::Error::new(lit.span(), format!("`{}` is not a path: {EXPECTED}", lit.value())))?;
        Ok(Self { path: Some(path) })
    }

    /// The segment names, to recognize a type written through this path.
    pub(crate) fn segments(&self) -> Vec<String> {
        match &self.path {
            Some(path) => path.segments.iter().map(|s| s.ident.to_string()).collect(),
            None => vec!["socketio".to_owned()],
        }
    }

    /// The path with every token at `span`: an unmet bound in generated
    /// code is then reported at the user's type, not at the attribute.
    pub(crate) fn at(&self, span: Span) -> TokenStream {
        match &self.path {
            Some(path) => respan(path.to_token_stream(), span),
            None => quote_spanned!(span=> ::socketio),
        }
    }
}

impl ToTokens for CratePath {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match &self.path {
            Some(path) => path.to_tokens(tokens),
            None => tokens.extend(self.at(Span::call_site())),
        }
    }
}

fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = TokenTree::Group(inner);
            }
            tree.set_span(span);
            tree
        })
        .collect()
}
