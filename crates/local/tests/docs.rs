//! The README's maps stay true: every file or folder the "Crates and files" and "Specifications →
//! code" tables name exists, and every page of `docs/` the README links to exists.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code

use remote_mcp_testkit::workspace_root;
use std::path::{Path, PathBuf};

/// The rows of the table under `heading`.
fn table<'a>(readme: &'a str, heading: &str) -> Vec<&'a str> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading}"));
    readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .collect()
}

/// The paths a table cell names in backticks: `a/b.rs`, then `c.rs` beside it.
fn named_paths(cell: &str) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let mut base: Option<PathBuf> = None;
    for (i, quoted) in cell.split('`').enumerate() {
        if i % 2 == 0 || quoted.contains(' ') || quoted.contains("::") || quoted.contains('(') {
            continue;
        }
        let looks_like_file = quoted.ends_with(".rs")
            || quoted.ends_with(".py")
            || quoted.ends_with(".sh")
            || quoted.ends_with(".mjs")
            || quoted.ends_with(".yaml")
            || quoted.ends_with(".toml")
            || quoted.ends_with(".txt")
            || quoted.ends_with(".yml")
            || quoted.ends_with('/');
        if !looks_like_file || quoted.contains('*') {
            continue;
        }
        let path = if quoted.contains('/') && !quoted.starts_with("src/") {
            PathBuf::from(quoted)
        } else {
            match &base {
                Some(dir) => dir.join(quoted),
                None => PathBuf::from(quoted),
            }
        };
        if quoted.contains('/') && !quoted.starts_with("src/") {
            base = Some(if quoted.ends_with('/') {
                path.clone()
            } else {
                path.parent().map(Path::to_path_buf).unwrap_or_default()
            });
        }
        paths.push(path);
    }
    paths
}

#[test]
fn every_file_the_readme_tables_name_exists() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut checked = 0;
    let mut missing = Vec::new();
    for heading in ["## Crates and files", "## Specifications → code"] {
        for row in table(&readme, heading) {
            let cells: Vec<&str> = row.split('|').collect();
            // The first cell of "Crates and files", the last of "Specifications → code".
            let cell = if heading.starts_with("## Crates") {
                cells[1]
            } else {
                cells[cells.len() - 2]
            };
            for path in named_paths(cell) {
                checked += 1;
                if !root.join(&path).exists() {
                    missing.push(format!("{heading}: {} ({row})", path.display()));
                }
            }
        }
    }
    assert!(
        checked > 60,
        "only {checked} paths found: the tables' shape changed"
    );
    assert!(
        missing.is_empty(),
        "named but missing:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_docs_page_the_readme_links_to_exists() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let links: Vec<&str> = readme
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|target| target.starts_with("docs/"))
        .collect();
    assert!(links.len() >= 10, "{links:?}");
    for link in links {
        assert!(
            root.join(link).exists(),
            "README links to {link}, which does not exist"
        );
    }
}
