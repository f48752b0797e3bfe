//! STATUS: being built.
