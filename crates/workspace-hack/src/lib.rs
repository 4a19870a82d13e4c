//! No code: this crate's dependencies unify the workspace's features (see its Cargo.toml).
