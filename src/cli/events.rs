//! `evident events`. STATUS: being built.

use super::ExitStatus;

#[derive(Debug, clap::Args)]
pub struct EventsArgs {}

pub fn run(args: EventsArgs) -> ExitStatus {
    let _ = args;
    eprintln!("evident events: not built yet");
    ExitStatus::Errors
}
