//! `evident samples ...`. STATUS: being built.

use super::ExitStatus;

#[derive(Debug, clap::Subcommand)]
pub enum SamplesCommand {}

pub fn run(cmd: SamplesCommand) -> ExitStatus {
    match cmd {}
}
