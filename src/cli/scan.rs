//! `evident scan`. STATUS: being built.

use super::ExitStatus;

#[derive(Debug, clap::Args)]
pub struct ScanArgs {}

pub fn run(args: ScanArgs) -> ExitStatus {
    let _ = args;
    eprintln!("evident scan: not built yet");
    ExitStatus::Errors
}
