//! `samples build`: every `DIR/<scenario>/source/<host>/<Log>.xml` becomes
//! `DIR/<scenario>/logs/<host>/<Log>.evtx`. The output depends only on the XML, so a rebuild
//! gives byte-identical files.

use std::fs::{self, File};
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use super::{convert_xml, WriteError, WriteSummary};

/// One converted log.
#[derive(Debug)]
pub struct BuiltLog {
    pub source: PathBuf,
    pub output: PathBuf,
    pub summary: WriteSummary,
}

/// One log that could not be converted, with why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {error}", file.display())]
pub struct BuildError {
    pub file: PathBuf,
    pub error: WriteError,
}

/// What a build did: every log converted, and every one that failed (the others still built).
#[derive(Debug, Default)]
pub struct BuildReport {
    pub built: Vec<BuiltLog>,
    pub failed: Vec<BuildError>,
}

/// Converts every scenario's source XML under `root`; a failing log is reported and the
/// build goes on with the rest. Scenarios and files are visited in name order.
pub fn build_samples(root: &Path) -> Result<BuildReport, std::io::Error> {
    let mut report = BuildReport::default();
    for scenario in sorted_dirs(root)? {
        let source = scenario.join("source");
        if !source.is_dir() {
            continue;
        }
        for host in sorted_dirs(&source)? {
            let Some(host_name) = host.file_name() else {
                continue;
            };
            let mut logs: Vec<PathBuf> = fs::read_dir(&host)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml"))
                })
                .collect();
            logs.sort();
            for log in logs {
                let output = scenario
                    .join("logs")
                    .join(host_name)
                    .join(log.with_extension("evtx").file_name().unwrap_or_default());
                match convert_file(&log, &output) {
                    Ok(summary) => report.built.push(BuiltLog {
                        source: log,
                        output,
                        summary,
                    }),
                    Err(error) => report.failed.push(BuildError { file: log, error }),
                }
            }
        }
    }
    Ok(report)
}

/// Converts one XML file to one `.evtx` file. The file is written under a temporary name and
/// renamed at the end, so a failed conversion never leaves a half-written `.evtx`.
pub fn convert_file(source: &Path, output: &Path) -> Result<WriteSummary, WriteError> {
    if let Some(parent) = output.parent() {
        fs::create_dir_all(parent)?;
    }
    let partial = output.with_extension("evtx.partial");
    let result = (|| {
        let input = BufReader::new(File::open(source)?);
        let out = BufWriter::new(File::create(&partial)?);
        convert_xml(input, out)
    })();
    match result {
        Ok(summary) => {
            fs::rename(&partial, output)?;
            Ok(summary)
        }
        Err(e) => {
            let _ = fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}
