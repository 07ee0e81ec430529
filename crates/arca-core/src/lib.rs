//! Arca's core: everything between the HTTP layer and the engines.
pub mod physical;
