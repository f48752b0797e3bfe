//! `evident samples ...`: build the sample scenarios' `.evtx` files from their source XML,
//! and write large synthetic logs for performance work.

use std::path::PathBuf;

use super::ExitStatus;

#[derive(Debug, clap::Subcommand)]
pub enum SamplesCommand {
    /// Write `DIR/<scenario>/logs/<host>/<Log>.evtx` from every `DIR/<scenario>/source/<host>/<Log>.xml`.
    Build {
        /// The samples folder.
        #[arg(default_value = "samples")]
        dir: PathBuf,
    },
    /// Write one large, realistic .evtx (RDP scenario events mixed into background noise).
    Synth {
        /// Target file size, e.g. 64MiB, 1GiB, 500MB (the file ends at the first chunk past it).
        #[arg(long, value_parser = parse_size)]
        size: u64,
        /// The output file.
        #[arg(short, long)]
        output: PathBuf,
        /// Seed of the generator: the same seed and size give the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

pub fn run(cmd: SamplesCommand) -> ExitStatus {
    match cmd {
        SamplesCommand::Build { dir } => build(&dir),
        SamplesCommand::Synth { size, output, seed } => synth(size, &output, seed),
    }
}

fn build(dir: &std::path::Path) -> ExitStatus {
    let report = match crate::evtx_write::build::build_samples(dir) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("evident: {}: {e}", dir.display());
            return ExitStatus::Errors;
        }
    };
    let mut records = 0;
    for log in &report.built {
        records += log.summary.records;
        for skipped in &log.summary.skipped {
            eprintln!("evident: {}: {skipped}", log.source.display());
        }
    }
    for failure in &report.failed {
        eprintln!("evident: {failure}");
    }
    println!(
        "{} logs written ({records} records), {} failed",
        report.built.len(),
        report.failed.len()
    );
    let skipped = report.built.iter().any(|l| !l.summary.skipped.is_empty());
    if report.failed.is_empty() && !skipped {
        ExitStatus::Clean
    } else {
        ExitStatus::Errors
    }
}

fn synth(size: u64, output: &std::path::Path, seed: u64) -> ExitStatus {
    let started = std::time::Instant::now();
    match crate::synth::write_file(output, size, seed) {
        Ok(summary) => {
            println!(
                "{}: {} records, {} chunks, {} bytes in {:.1}s",
                output.display(),
                summary.records,
                summary.chunks,
                summary.bytes,
                started.elapsed().as_secs_f64()
            );
            ExitStatus::Clean
        }
        Err(e) => {
            eprintln!("evident: {}: {e}", output.display());
            ExitStatus::Errors
        }
    }
}

/// `1GiB`, `64MiB`, `512KiB`, `1GB`, `100MB`, or plain bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("not a size: {text:?} (e.g. 1GiB, 64MiB)"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB, GiB)")),
    };
    Ok((number * multiplier as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1.5KiB"), Ok(1536));
        assert_eq!(parse_size("100MB"), Ok(100_000_000));
        assert!(parse_size("lots").is_err());
    }
}
