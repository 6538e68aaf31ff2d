//! The node scripts of `tests/js` (node's adapters, servers and emitter).

pub use socketio_tests::NodeScript;

/// Runs `script` of `tests/js` with `args`; `package` is the node package
/// it needs.
pub fn script(script: &str, package: &str, args: &[String]) -> NodeScript {
    NodeScript::start(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js"), script, package, args)
}
