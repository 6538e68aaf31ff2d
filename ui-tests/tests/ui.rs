//! Compile-pass cases for every supported signature shape, and one
//! compile-fail case per check, each with the message it must produce.
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test -p socketio-ui-tests`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/pass/*.rs");
    cases.compile_fail("tests/fail/*/*.rs");
}
