//! The command line: one file per command. Each command's `run` returns an [`ExitStatus`];
//! the exit code is decided here and nowhere else.

use clap::{Parser, Subcommand};

pub mod decode;
pub mod events;
pub mod rules;
pub mod samples;
pub mod scan;

/// How a command ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum ExitStatus {
    /// All input was read and nothing was found (or, for `events`, everything was read).
    Clean = 0,
    /// `scan` found at least one cause.
    Findings = 1,
    /// An input could not be read (in part or whole), or the command line or a rule was wrong.
    Errors = 2,
}

/// evident reads Windows event logs offline and says why Remote Desktop failed.
#[derive(Debug, Parser)]
#[command(name = "evident", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print normalized events from logs, like a grep for event logs.
    Events(events::EventsArgs),
    /// Diagnose why RDP failed: correlate the logs and rank root causes.
    Scan(scan::ScanArgs),
    /// Check, list and show the rule pack.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Explain an RDP client, TLS, HRESULT, NTSTATUS or session code.
    Decode(decode::DecodeArgs),
    /// Build the sample scenarios and write large synthetic logs.
    #[command(subcommand)]
    Samples(samples::SamplesCommand),
}

/// Runs one parsed command line, as the process's last step: `scan` leaves what it built to
/// be freed when the process ends.
pub fn run(cli: Cli) -> ExitStatus {
    match cli.command {
        Command::Events(args) => events::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Decode(args) => decode::run(args),
        Command::Samples(cmd) => samples::run(cmd),
    }
}
