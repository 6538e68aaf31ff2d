//! The real `tsc` (typescript from tests/ts, installed by scripts/setup)
//! compiling programs against generated typings and socket.io-client 4's
//! own type definitions.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh folder under the target directory, where tsc resolves
/// `socket.io-client` and `@types/node` through a link to tests/ts.
pub fn tsc_dir(name: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let modules = manifest.join("ts/node_modules");
    assert!(
        modules.join("typescript/bin/tsc").exists(),
        "tests/ts/node_modules is missing: run scripts/setup"
    );
    let dir = manifest.join(format!("../target/typings-tsc/{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tsc folder");
    std::os::unix::fs::symlink(&modules, dir.join("node_modules")).expect("node_modules link");
    dir
}

/// Runs tsc on `program` (strict, no output): its diagnostics, or `None`
/// when it compiles.
pub fn tsc(dir: &Path, file: &str, program: &str) -> Option<String> {
    std::fs::write(dir.join(file), program).expect("program written");
    let output = Command::new("node")
        .arg(dir.join("node_modules/typescript/bin/tsc"))
        .args(["--noEmit", "--strict", "--target", "es2020", "--module", "commonjs"])
        .args(["--moduleResolution", "node", "--types", "node", file])
        .current_dir(dir)
        .output()
        .expect("node runs tsc");
    let diagnostics = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        assert!(diagnostics.is_empty(), "{diagnostics}");
        None
    } else {
        assert!(
            !diagnostics.is_empty(),
            "tsc failed without a diagnostic: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Some(diagnostics)
    }
}

/// One wrong line appended to a program's preamble, and what tsc must
/// say about it: the error code and a phrase of its explanation.
pub struct Wrong {
    /// The line, after the preamble.
    pub line: &'static str,
    /// tsc's error code, `TS2345`.
    pub code: &'static str,
    /// A phrase of the error or of its explanation.
    pub says: &'static str,
}

/// Compiles `good` (must pass), then each wrong line after `preamble`: the
/// program must fail with one error, at that line, with the expected code
/// and phrase. The wrong programs are compiled in one tsc run, one file
/// each, to keep the test fast.
pub fn check_programs(dir: &Path, preamble: &str, good: &str, wrong: &[Wrong]) {
    if let Some(diagnostics) = tsc(dir, "good.ts", &format!("{preamble}{good}")) {
        panic!("the program using every event does not compile:\n{diagnostics}");
    }
    let line = preamble.lines().count() + 1;
    let mut files = Vec::new();
    for (index, wrong) in wrong.iter().enumerate() {
        let file = format!("wrong{index}.ts");
        std::fs::write(dir.join(&file), format!("{preamble}{}\n", wrong.line)).expect("program written");
        files.push(file);
    }
    let output = Command::new("node")
        .arg(dir.join("node_modules/typescript/bin/tsc"))
        .args(["--noEmit", "--strict", "--target", "es2020", "--module", "commonjs"])
        .args(["--moduleResolution", "node", "--types", "node"])
        .args(&files)
        .current_dir(dir)
        .output()
        .expect("node runs tsc");
    assert!(!output.status.success(), "the wrong programs compiled");
    let diagnostics = String::from_utf8_lossy(&output.stdout);
    for (index, wrong) in wrong.iter().enumerate() {
        let prefix = format!("wrong{index}.ts(");
        let errors: Vec<&str> = diagnostics.lines().filter(|l| l.starts_with(&prefix)).collect();
        let [error] = errors.as_slice() else {
            panic!("`{}`: expected one error, got {errors:?}\n{diagnostics}", wrong.line);
        };
        assert!(
            error.starts_with(&format!("{prefix}{line},")) && error.contains(&format!("error {}:", wrong.code)),
            "`{}`: expected {} at line {line}, got {error}",
            wrong.line,
            wrong.code
        );
        // The explanation follows on the error's indented lines.
        let explanation: String = diagnostics
            .split(error)
            .nth(1)
            .map(|rest| {
                rest.lines()
                    .take_while(|l| l.is_empty() || l.starts_with(' '))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        assert!(
            error.contains(wrong.says) || explanation.contains(wrong.says),
            "`{}`: expected tsc to say {:?}:\n{error}\n{explanation}",
            wrong.line,
            wrong.says
        );
    }
}
