//! STATUS: being built.

pub mod events;
