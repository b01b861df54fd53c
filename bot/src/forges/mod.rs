//! Forge adapters, one folder per forge.

pub mod gitlab;
