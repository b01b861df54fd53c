//! Test-only package: see `conformance.rs`. A virtual workspace compiles no root
//! `tests/` folder, so this member runs the shared corpus under `cargo test`.
