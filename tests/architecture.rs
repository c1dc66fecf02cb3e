//! The dependency rule of the workspace, read from `cargo metadata`: an internal crate may
//! depend only on the internal crates the architecture allows. Any other edge is a defect.

use std::collections::{BTreeMap, BTreeSet};

/// Who may depend on whom (internal crates only). `None`: anything (the test crate).
fn allowed(package: &str) -> Option<&'static [&'static str]> {
    Some(match package {
        "rounds-core" => &[],
        "rounds-route" => &[],
        "rounds-protocol" => &["rounds-core"],
        "rounds-store" => &["rounds-core", "rounds-protocol"],
        "rounds-client" => &[
            "rounds-core",
            "rounds-route",
            "rounds-protocol",
            "rounds-store",
        ],
        "rounds-server" => &["rounds-core", "rounds-route", "rounds-protocol"],
        "rounds-ui" => &["rounds-core", "rounds-protocol"],
        "rounds-app" => &["rounds-client", "rounds-core", "rounds-protocol"],
        "rounds-tests" => return None,
        // A crate the rule does not know yet must be added to it first.
        _ => &["(unknown crate: add it to the rule)"],
    })
}

/// Edges (from, to) between workspace members that break the rule, with the reason.
fn violations(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut out = Vec::new();
    for (from, deps) in edges {
        match allowed(from) {
            None => {}
            Some(ok) if ok.first().is_some_and(|s| s.starts_with('(')) => {
                out.push(format!("{from}: not in the dependency rule"));
            }
            Some(ok) => {
                for to in deps {
                    if !ok.contains(&to.as_str()) {
                        out.push(format!("{from} -> {to} is not allowed"));
                    }
                }
            }
        }
    }
    out
}

/// Internal edges of every kind (normal, build and dev) between workspace members.
fn workspace_edges() -> BTreeMap<String, BTreeSet<String>> {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
        .no_deps()
        .exec()
        .expect("cargo metadata runs");
    let members: BTreeSet<String> = metadata
        .workspace_packages()
        .iter()
        .map(|p| p.name.to_string())
        .collect();
    metadata
        .workspace_packages()
        .iter()
        .map(|p| {
            let deps = p
                .dependencies
                .iter()
                .filter(|d| members.contains(d.name.as_str()))
                .map(|d| d.name.clone())
                .collect();
            (p.name.to_string(), deps)
        })
        .collect()
}

#[test]
fn the_workspace_keeps_the_dependency_rule() {
    let edges = workspace_edges();
    assert!(
        edges.contains_key("rounds-core") && edges.contains_key("rounds-protocol"),
        "metadata must list the workspace's crates, got {:?}",
        edges.keys()
    );
    let bad = violations(&edges);
    assert!(
        bad.is_empty(),
        "dependency rule broken:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_check_catches_forbidden_and_unknown_edges() {
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("rounds-server", vec!["rounds-core", "rounds-store"]),
        ("rounds-ui", vec!["rounds-client"]),
        ("rounds-core", vec!["rounds-protocol"]),
        ("rounds-app", vec!["rounds-client"]),
        ("rounds-tests", vec!["rounds-store", "rounds-server"]),
        ("rounds-extra", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        violations(&edges),
        [
            "rounds-core -> rounds-protocol is not allowed",
            "rounds-extra: not in the dependency rule",
            "rounds-server -> rounds-store is not allowed",
            "rounds-ui -> rounds-client is not allowed",
        ]
    );
}
