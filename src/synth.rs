//! The scale generator for large realistic files. STATUS: being built.
