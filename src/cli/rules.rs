//! `evident rules ...`. STATUS: being built.

use super::ExitStatus;

#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {}

pub fn run(cmd: RulesCommand) -> ExitStatus {
    match cmd {}
}
