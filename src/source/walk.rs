//! The inputs as the user named them: files, folders (recursively) and archives; and how the
//! threads are spent on them.
//!
//! Two ways to use cores (DESIGN.md, "Parallelism"):
//! * many files: files in parallel on a rayon pool, each read by one thread, largest first;
//!   once a thread finds no file left, the files still being read share their chunks with it
//!   (rayon's own work sharing, which never blocks a worker);
//! * a few files: one file at a time, its EVTX chunks spread over the pool by a caller that
//!   reads them ahead. That caller blocks while the pool works, so it is never a worker.
//!
//! The choice is made once per run from the number of files; `ReadPlan::threads` caps both.
//! Either way, when the run's files are not in the page cache, the next file is read from the
//! disk while one is parsed (`prefetch`).

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::archive::{read_zip, ZipLimits};
use super::evtx::{ChunkThreads, EvtxRun, EvtxShared};
use super::prefetch::ReadAhead;
use super::{
    detect, read_text, unknown_reason, EventSink, InputErrorKind, ReadPlan, ReadSummary, SourceCtx,
    SourceKind, SourceReport,
};

/// How deep folders are followed.
const MAX_FOLDER_DEPTH: usize = 32;
/// How many bytes of a file are looked at to recognize its format.
const HEAD_BYTES: usize = 64 * 1024;

/// One file to read.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    pub path: PathBuf,
    /// The name used in reports and origins.
    pub display: String,
    pub size: u64,
    /// Named on the command line (an unrecognized one is an error) rather than found in a
    /// folder (where only files with a log's extension are expected to be logs).
    pub explicit: bool,
}

/// Whether a name looks like a log a user meant to give (used only to decide whether an
/// unrecognized file found in a folder is worth an error line; formats are recognized by
/// content).
pub(crate) fn is_log_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".evtx", ".evt", ".xml", ".json", ".jsonl", ".zip"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// Expands the paths into files, in a stable order; unreadable paths become reports with an
/// error.
pub(crate) fn collect(paths: &[PathBuf]) -> (Vec<Input>, Vec<SourceReport>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let display = path.display().to_string();
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(path, 0, &mut inputs, &mut errors),
            Ok(meta) => inputs.push(Input {
                path: path.clone(),
                display,
                size: meta.len(),
                explicit: true,
            }),
            Err(err) => errors.push(io_report(&display, &err)),
        }
    }
    (inputs, errors)
}

fn io_report(display: &str, err: &std::io::Error) -> SourceReport {
    let ctx = SourceCtx {
        file: display.into(),
        member: None,
    };
    let mut report = ctx.report(None);
    report
        .errors
        .push(ctx.error(None, InputErrorKind::Io, err.to_string()));
    report
}

fn walk_dir(dir: &Path, depth: usize, inputs: &mut Vec<Input>, errors: &mut Vec<SourceReport>) {
    let display = dir.display().to_string();
    if depth > MAX_FOLDER_DEPTH {
        let ctx = SourceCtx {
            file: display.into(),
            member: None,
        };
        let mut report = ctx.report(None);
        report.errors.push(ctx.error(
            None,
            InputErrorKind::LimitExceeded,
            format!("folders nested deeper than {MAX_FOLDER_DEPTH}; not followed"),
        ));
        errors.push(report);
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            errors.push(io_report(&display, &err));
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            walk_dir(&path, depth + 1, inputs, errors);
        } else if file_type.is_file() || file_type.is_symlink() {
            // A symlink is read when it points at a file; symlinked folders are not followed,
            // so a link loop cannot trap the walk.
            match fs::metadata(&path) {
                Ok(meta) if meta.is_file() => inputs.push(Input {
                    display: path.display().to_string(),
                    path,
                    size: meta.len(),
                    explicit: false,
                }),
                _ => {}
            }
        }
    }
}

/// Reads everything under `paths` (see [`super::read_inputs`]), on `given` when it has as
/// many threads as the plan and this thread is not one of them (else on a pool of its own:
/// the caller reads chunks ahead while the pool parses them).
pub(crate) fn read_all(
    paths: &[PathBuf],
    plan: &ReadPlan,
    sink: &dyn EventSink,
    given: Option<&rayon::ThreadPool>,
) -> ReadSummary {
    let (inputs, mut sources) = collect(paths);
    let threads = plan.threads.max(1);
    let given = given.filter(|pool| {
        threads > 1
            && pool.current_num_threads() == threads
            && pool.current_thread_index().is_none()
    });
    let own = (given.is_none() && threads > 1)
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("evident-read-{i}"))
                .build()
                .ok()
        })
        .flatten();
    let pool = given.or(own.as_ref());
    let limits = ZipLimits::default();
    let shared = EvtxShared::default();
    match pool {
        Some(pool) if inputs.len() >= 2 * threads => {
            // Many files: one thread per file, no chunk-level parallelism inside. Each thread
            // takes the largest file left, so the last ones to start are small and no thread
            // is left waiting long for another at the end.
            let mut order: Vec<usize> = (0..inputs.len()).collect();
            order.sort_by_key(|&i| std::cmp::Reverse(inputs[i].size));
            let next = AtomicUsize::new(0);
            // Set when a worker finds no file left: the files still being read then share
            // their chunks with it.
            let idle = AtomicBool::new(false);
            let per_file = Mutex::new(vec![Vec::new(); inputs.len()]);
            // The first files, one per thread, are read from the disk from the start; each
            // later one while the file before it is parsed.
            let ahead = ReadAhead::start(
                order
                    .iter()
                    .take(threads)
                    .map(|&i| inputs[i].path.as_path()),
            );
            pool.scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(|_| {
                        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                            // The file the next free thread takes is read from the disk
                            // while this one is parsed.
                            if let Some(&after) = order.get(next.load(Ordering::Relaxed)) {
                                ahead.file(&inputs[after].path);
                            }
                            let run = EvtxRun {
                                chunks: ChunkThreads::Shared(&idle),
                                shared: &shared,
                            };
                            let reports = read_file(&inputs[i], &limits, run, sink);
                            if let Ok(mut per_file) = per_file.lock() {
                                per_file[i] = reports;
                            }
                        }
                        idle.store(true, Ordering::Relaxed);
                    });
                }
            });
            let per_file = per_file.into_inner().unwrap_or_else(|p| p.into_inner());
            sources.extend(per_file.into_iter().flatten());
        }
        _ => {
            let ahead = ReadAhead::start(inputs.first().map(|i| i.path.as_path()));
            for (at, input) in inputs.iter().enumerate() {
                // The next file is read from the disk while this one is parsed.
                if let Some(after) = inputs.get(at + 1) {
                    ahead.file(&after.path);
                }
                let run = EvtxRun {
                    chunks: pool.map_or(ChunkThreads::InOrder, ChunkThreads::Pool),
                    shared: &shared,
                };
                sources.extend(read_file(input, &limits, run, sink));
            }
        }
    }
    ReadSummary { sources }
}

/// Reads one file of any kind; `run` says how its EVTX chunks are read.
pub(crate) fn read_file(
    input: &Input,
    limits: &ZipLimits,
    run: EvtxRun<'_>,
    sink: &dyn EventSink,
) -> Vec<SourceReport> {
    let ctx = SourceCtx {
        file: input.display.as_str().into(),
        member: None,
    };
    let mut file = match File::open(&input.path) {
        Ok(file) => file,
        Err(err) => return vec![io_report(&input.display, &err)],
    };
    let mut head = Vec::with_capacity(HEAD_BYTES.min(input.size as usize));
    if let Err(err) = (&mut file).take(HEAD_BYTES as u64).read_to_end(&mut head) {
        return vec![io_report(&input.display, &err)];
    }
    if let Err(err) = file.seek(SeekFrom::Start(0)) {
        return vec![io_report(&input.display, &err)];
    }
    let kind = detect(&head);
    match kind {
        SourceKind::Evtx => vec![super::evtx::read_evtx(
            super::evtx::EvtxBytes::File(&file),
            &ctx,
            run,
            sink,
        )],
        SourceKind::Zip => read_zip(file, &input.display, limits, false, run, sink),
        SourceKind::Xml | SourceKind::Json | SourceKind::Unknown => {
            if let Some(report) = read_text(file, &head, &ctx, sink) {
                return vec![report];
            }
            if !input.explicit && !is_log_name(&input.display) {
                // Not a log, found in a folder next to logs (a README, a manifest): skipped.
                return Vec::new();
            }
            let mut report = ctx.report(None);
            let kind = if head.is_empty() {
                InputErrorKind::Empty
            } else {
                InputErrorKind::UnsupportedFormat
            };
            report
                .errors
                .push(ctx.error(None, kind, unknown_reason(&head)));
            vec![report]
        }
    }
}
