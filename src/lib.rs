//! evident reads Windows event logs offline and says why Remote Desktop failed.
//!
//! The flow (see README "Architecture"): `source` turns inputs into [`event::Event`]s;
//! `engine` runs the compiled `rules` on them inside the parser's threads and emits
//! [`signal::Signal`]s; `diagnose` turns signals into ranked findings; `report` prints them.
//! `codes` explains client and Windows error codes; `evtx_write` writes spec-valid `.evtx`.

pub mod cli;
pub mod codes;
pub mod diagnose;
pub mod engine;
pub mod event;
pub mod event_json;
pub mod evtx_format;
pub mod evtx_write;
pub mod report;
pub mod rules;
mod shared_text;
pub mod signal;
pub mod source;
pub mod synth;
