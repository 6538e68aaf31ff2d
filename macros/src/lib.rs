//! Procedural macros for `socketio`. The `#[handler]` attribute lands with
//! the macros issue; the crate exists now so the runtime can re-export it.
