//! `evident decode`. STATUS: being built.

use super::ExitStatus;

#[derive(Debug, clap::Args)]
pub struct DecodeArgs {}

pub fn run(args: DecodeArgs) -> ExitStatus {
    let _ = args;
    eprintln!("evident decode: not built yet");
    ExitStatus::Errors
}
