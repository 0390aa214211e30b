//! The house's shape: no two modules of the server reach each other, so a
//! change can be followed one way through (a parent declaring its children
//! and a child using its parent are the one allowed pair). Between the two
//! crates the compiler holds the direction; within each, this test does.

use std::process::Command;

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new("python3")
        .arg(format!("{root}/dev/import_cycles.py"))
        .arg(format!("{root}/core/src"))
        .arg(format!("{root}/host/src"))
        .output()
        .expect("run dev/import_cycles.py");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "import circles:\n{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts: Vec<&str> = report.lines().filter(|l| l.contains("circle(s)")).collect();
    assert_eq!(
        counts.len(),
        4,
        "two levels for each of the two crates:\n{report}"
    );
    assert!(
        counts.iter().all(|l| l.ends_with(" 0 circle(s)")),
        "{report}"
    );
}

/// The admin API's contract describes the core's types in the binary (the
/// core knows nothing of OpenAPI): each description must keep the fields,
/// types and serde attributes of the type it describes, or the contract
/// would promise a shape the server no longer sends.
#[test]
fn the_admin_api_schemas_describe_the_core_types_as_they_are() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new("python3")
        .arg(format!("{root}/dev/schema_mirrors.py"))
        .output()
        .expect("run dev/schema_mirrors.py");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains(" 0 differ"), "{report}");
}
