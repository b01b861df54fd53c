//! What the bot's test binaries share: the bot under test and its settings
//! (`bot_setup`), a fresh PostgreSQL database (`postgres`), the `signoff` binary as an
//! operator runs it (`cli`), reading details pages (`details`) and the scenarios both
//! forge suites run (`scenarios`). Each binary names this module once.
#![allow(
    dead_code,
    unused_macros,
    unused_imports,
    reason = "each test binary uses its own part of what they share"
)]

pub mod bot_setup;
pub use bot_setup::eventually;
pub mod cli;
pub mod details;
pub mod postgres;
#[macro_use]
pub mod scenarios;
