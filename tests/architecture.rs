//! The dependency rule of the workspace, read from `cargo metadata`: an internal crate may
//! depend only on the internal crates the architecture allows. Any other edge is a defect.

use std::collections::{BTreeMap, BTreeSet};

/// Who may depend on whom (internal crates only). `None`: anything (the test crate).
fn allowed(package: &str) -> Option<&'static [&'static str]> {
    Some(match package {
        "rounds-core" => &[],
        "rounds-route" => &[],
        "rounds-plan" => &["rounds-route"],
        "rounds-territory" => &[],
        // Offline geocoding by postal code: data and a lookup, used by the server's
        // import and the device alike.
        "rounds-geocode" => &[],
        "rounds-protocol" => &["rounds-core"],
        "rounds-store" => &["rounds-core", "rounds-protocol"],
        "rounds-client" => &[
            "rounds-core",
            "rounds-geocode",
            "rounds-plan",
            "rounds-route",
            "rounds-protocol",
            "rounds-store",
        ],
        "rounds-server-db" => &["rounds-core", "rounds-protocol"],
        "rounds-server-rules" => &[
            "rounds-core",
            "rounds-geocode",
            "rounds-protocol",
            "rounds-server-db",
            "rounds-territory",
        ],
        // Pages only: they ask the rules for data and never reach the database.
        "rounds-dashboard" => &[
            "rounds-core",
            "rounds-protocol",
            "rounds-server-rules",
            "rounds-territory",
        ],
        "rounds-server" => &[
            "rounds-core",
            "rounds-route",
            "rounds-protocol",
            "rounds-server-db",
            "rounds-server-rules",
            "rounds-dashboard",
            // Its tests seed the demo organisation and run on the test kit (dev-dependencies
            // only; checked below).
            "rounds-demo",
            "rounds-server-testkit",
            // Its tests check where postal codes are against the ZIP table (dev only).
            "rounds-geocode",
        ],
        "rounds-server-testkit" => &["rounds-server"],
        "rounds-demo" => &[
            "rounds-core",
            "rounds-protocol",
            "rounds-server-db",
            "rounds-server-rules",
            "rounds-territory",
        ],
        "rounds-load" => &[
            "rounds-client",
            "rounds-core",
            "rounds-demo",
            "rounds-protocol",
            "rounds-server",
        ],
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

fn metadata() -> cargo_metadata::Metadata {
    cargo_metadata::MetadataCommand::new()
        .manifest_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml"))
        .no_deps()
        .exec()
        .expect("cargo metadata runs")
}

/// Internal edges of every kind (normal, build and dev) between workspace members.
fn workspace_edges() -> BTreeMap<String, BTreeSet<String>> {
    let metadata = metadata();
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

/// The demo data and the load generator are tools: the production server binary may use
/// the demo in its tests, never in what it ships.
#[test]
fn the_production_server_carries_no_demo_and_no_load_generator() {
    let metadata = metadata();
    let server = metadata
        .workspace_packages()
        .into_iter()
        .find(|p| p.name.as_str() == "rounds-server")
        .expect("rounds-server is a member");
    let shipped: Vec<_> = server
        .dependencies
        .iter()
        .filter(|d| d.kind != cargo_metadata::DependencyKind::Development)
        .map(|d| d.name.as_str())
        .collect();
    assert!(shipped.contains(&"rounds-server-rules"), "{shipped:?}");
    for tool in ["rounds-demo", "rounds-load", "rounds-server-testkit"] {
        assert!(
            !shipped.contains(&tool),
            "rounds-server ships {tool}: {shipped:?}"
        );
    }
}

/// A server-side source file over 600 lines says why in its opening comment; otherwise it
/// is a file doing more than one job and should be split.
#[test]
fn a_long_server_file_says_why() {
    const LIMIT: usize = 600;
    const REASON: &str = "Over 600 lines on purpose";
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../crates"));
    let crates = [
        "server",
        "server-db",
        "server-rules",
        "dashboard",
        "demo",
        "load",
        "server-testkit",
    ];
    let mut unexplained = Vec::new();
    let mut seen = 0;
    for name in crates {
        let mut dirs = vec![root.join(name).join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("a crate's src") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    seen += 1;
                    let text = std::fs::read_to_string(&path).expect("a source file");
                    let opening: String = text
                        .lines()
                        .take_while(|l| l.starts_with("//!"))
                        .collect::<Vec<_>>()
                        .join(" ");
                    if text.lines().count() > LIMIT && !opening.contains(REASON) {
                        unexplained.push(path.display().to_string());
                    }
                }
            }
        }
    }
    assert!(seen > 50, "only {seen} server source files found");
    assert!(
        unexplained.is_empty(),
        "over {LIMIT} lines with no \"{REASON}\" in the opening comment: {unexplained:?}"
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
        (
            "rounds-server-rules",
            vec!["rounds-server-db", "rounds-server"],
        ),
        (
            "rounds-dashboard",
            vec!["rounds-server-rules", "rounds-server-db"],
        ),
        ("rounds-extra", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        violations(&edges),
        [
            "rounds-core -> rounds-protocol is not allowed",
            "rounds-dashboard -> rounds-server-db is not allowed",
            "rounds-extra: not in the dependency rule",
            "rounds-server -> rounds-store is not allowed",
            "rounds-server-rules -> rounds-server is not allowed",
            "rounds-ui -> rounds-client is not allowed",
        ]
    );
}
