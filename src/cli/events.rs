//! `evident events`: read logs and print their normalized events, like a grep for event logs.
//!
//! The provider, id and channel filters go to the reader's pre-filter (`EventSink::wants`), so
//! records they exclude are never rendered; the time window is checked on the rendered event.
//! Errors are reported one line each on stderr with a closing summary; the exit code is 2 when
//! any input could not be read in full, else 0. A closed stdout (`| head`) ends the run
//! quietly.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use jiff::Timestamp;

use super::ExitStatus;
use crate::event::Event;
use crate::report::events::{EventFormat, EventWriter};
use crate::source::{read_inputs, EventSink, ReadPlan, ReadSummary, RecordHead};

#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    /// Files, folders (read recursively) and .zip archives: .evtx, XML or evtx_dump JSON,
    /// recognized by content.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only events of these providers (comma-separated or repeated; case-insensitive).
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    pub provider: Vec<String>,
    /// Only these event ids: a list of ids and ranges, e.g. 1026,36870-36888.
    #[arg(long, value_parser = parse_ids, value_name = "IDS")]
    pub id: Option<IdSet>,
    /// Only events of these channels (comma-separated or repeated; case-insensitive).
    #[arg(long, value_delimiter = ',', value_name = "CHANNEL")]
    pub channel: Vec<String>,
    /// Only events at or after this time (RFC 3339, or a UTC date/time like 2024-05-01 or
    /// 2024-05-01T10:00:00).
    #[arg(long, value_parser = parse_time_arg, value_name = "TIME")]
    pub from: Option<Timestamp>,
    /// Only events at or before this time (same forms as --from).
    #[arg(long, value_parser = parse_time_arg, value_name = "TIME")]
    pub to: Option<Timestamp>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: EventFormat,
    /// Write the events to this file instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// A set of event ids and id ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdSet(pub Vec<RangeInclusive<u32>>);

impl IdSet {
    pub fn contains(&self, id: u32) -> bool {
        self.0.iter().any(|r| r.contains(&id))
    }
}

/// Parses `1026,36870-36888`.
pub fn parse_ids(text: &str) -> Result<IdSet, String> {
    let mut ranges = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || format!("`{part}` is not an event id or a range like 36870-36888");
        let range = match part.split_once('-') {
            Some((a, b)) => {
                let a: u32 = a.trim().parse().map_err(|_| bad())?;
                let b: u32 = b.trim().parse().map_err(|_| bad())?;
                if a > b {
                    return Err(bad());
                }
                a..=b
            }
            None => {
                let id: u32 = part.parse().map_err(|_| bad())?;
                id..=id
            }
        };
        ranges.push(range);
    }
    if ranges.is_empty() {
        return Err("no event ids given".into());
    }
    Ok(IdSet(ranges))
}

/// Parses a time for `--from` / `--to`: RFC 3339, or a date or date-time taken as UTC.
pub fn parse_time_arg(text: &str) -> Result<Timestamp, String> {
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(dt) = text.parse::<jiff::civil::DateTime>() {
        if let Ok(z) = dt.to_zoned(jiff::tz::TimeZone::UTC) {
            return Ok(z.timestamp());
        }
    }
    Err(format!(
        "`{text}` is not a time (use RFC 3339, e.g. 2024-05-01T10:00:00Z, or a UTC date 2024-05-01)"
    ))
}

/// The event filter built from the command line.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub providers: Vec<String>,
    pub ids: Option<IdSet>,
    pub channels: Vec<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl EventFilter {
    fn wants_channel(&self, channel: &str) -> bool {
        self.channels.is_empty()
            || self
                .channels
                .iter()
                .any(|c| c.eq_ignore_ascii_case(channel))
    }

    fn wants_head(&self, head: &RecordHead<'_>) -> bool {
        (self.providers.is_empty()
            || self
                .providers
                .iter()
                .any(|p| p.eq_ignore_ascii_case(head.provider)))
            && self
                .ids
                .as_ref()
                .is_none_or(|ids| ids.contains(head.event_id))
            && self.wants_channel(head.channel)
    }

    fn wants_time(&self, time: Option<Timestamp>) -> bool {
        match time {
            Some(t) => self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t <= to),
            None => self.from.is_none() && self.to.is_none(),
        }
    }
}

/// The sink of `evident events`: filters, then writes each event under a lock.
struct WriteSink<W: Write + Send> {
    filter: EventFilter,
    format: EventFormat,
    writer: Mutex<Option<EventWriter<W>>>,
    /// Set when the output is gone (closed pipe) or failed: reading stops being useful.
    closed: AtomicBool,
    failure: Mutex<Option<io::Error>>,
    progress: Option<indicatif::ProgressBar>,
    written: AtomicU64,
}

impl<W: Write + Send> EventSink for WriteSink<W> {
    fn wants_channel(&self, channel: &str) -> bool {
        !self.closed.load(Ordering::Relaxed) && self.filter.wants_channel(channel)
    }

    fn wants(&self, head: &RecordHead<'_>) -> bool {
        !self.closed.load(Ordering::Relaxed) && self.filter.wants_head(head)
    }

    /// A closed output says no to every head from then on.
    fn answers_may_change(&self) -> bool {
        true
    }

    fn filters_heads(&self) -> bool {
        let f = &self.filter;
        let filters = !f.providers.is_empty() || f.ids.is_some() || !f.channels.is_empty();
        filters || self.closed.load(Ordering::Relaxed)
    }

    fn accept(&self, event: Event) {
        if !self.filter.wants_time(event.time) || self.closed.load(Ordering::Relaxed) {
            return;
        }
        // Serialized on this (reader) thread; only the copy into the output is serialized.
        thread_local! {
            /// The rendering buffer of this reader thread, reused from event to event.
            static RENDERED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        RENDERED.with_borrow_mut(|bytes| {
            bytes.clear();
            self.format.render_into(&event, bytes);
            self.write(bytes);
        });
    }

    fn takes_json(&self) -> bool {
        matches!(self.format, EventFormat::Jsonl | EventFormat::Json)
    }

    fn accept_json(&self, records: &[(Option<Timestamp>, std::ops::Range<usize>)], lines: &[u8]) {
        if self.closed.load(Ordering::Relaxed) {
            return;
        }
        // Lines next to each other in `lines` are written in one piece.
        let mut runs: Vec<(std::ops::Range<usize>, u64)> = Vec::new();
        let wanted = records
            .iter()
            .filter(|(time, _)| self.filter.wants_time(*time));
        for (_, range) in wanted {
            match runs.last_mut() {
                Some((run, count)) if run.end == range.start => {
                    run.end = range.end;
                    *count += 1;
                }
                _ => runs.push((range.clone(), 1)),
            }
        }
        self.write_all(
            runs.into_iter()
                .filter_map(|(run, count)| Some((lines.get(run)?, count))),
        );
    }
}

/// The output's buffer. Smaller than a chunk's JSON lines (about 100 KiB), which are handed
/// over in one piece: a piece at least this large goes straight to the file instead of
/// through the buffer (one copy of every line fewer); single events still gather in it.
const OUT_BUFFER: usize = 32 * 1024;

impl<W: Write + Send> WriteSink<W> {
    /// Writes one rendered event under the lock; a failed output closes the sink.
    fn write(&self, bytes: &[u8]) {
        self.write_with(|writer| writer.write_rendered(bytes).map(|()| 1));
    }

    /// Writes runs of JSON lines (each run's bytes and how many lines it holds) under one
    /// taking of the lock.
    fn write_all<'b>(&self, runs: impl Iterator<Item = (&'b [u8], u64)>) {
        self.write_with(|writer| {
            let mut count = 0;
            for (bytes, lines) in runs {
                writer.write_lines(bytes, lines)?;
                count += lines;
            }
            Ok(count)
        });
    }

    /// Runs `write` (which says how many events it wrote) under the lock; a failed output
    /// closes the sink.
    fn write_with(&self, write: impl FnOnce(&mut EventWriter<W>) -> io::Result<u64>) {
        let written = match self.writer.lock() {
            Ok(mut guard) => match guard.as_mut() {
                Some(writer) => write(writer),
                None => return,
            },
            Err(_) => return,
        };
        let count = match written {
            Ok(count) => count,
            Err(err) => {
                self.closed.store(true, Ordering::Relaxed);
                if err.kind() != io::ErrorKind::BrokenPipe {
                    if let Ok(mut failure) = self.failure.lock() {
                        failure.get_or_insert(err);
                    }
                }
                return;
            }
        };
        let before = self.written.fetch_add(count, Ordering::Relaxed);
        if let Some(bar) = &self.progress {
            if before / 1024 != (before + count) / 1024 {
                bar.set_position(before + count);
            }
        }
    }
}

pub fn run(args: EventsArgs) -> ExitStatus {
    let filter = EventFilter {
        providers: args.provider.clone(),
        ids: args.id.clone(),
        channels: args.channel.clone(),
        from: args.from,
        to: args.to,
    };
    let mut plan = ReadPlan::default();
    if let Some(threads) = args.threads {
        plan.threads = threads.max(1);
    }
    let out: Box<dyn Write + Send> = match &args.output {
        Some(path) => match File::create(path) {
            Ok(file) => Box::new(BufWriter::with_capacity(OUT_BUFFER, file)),
            Err(err) => {
                eprintln!("evident: cannot create {}: {err}", path.display());
                return ExitStatus::Errors;
            }
        },
        None => Box::new(BufWriter::with_capacity(OUT_BUFFER, io::stdout())),
    };
    let writer = match EventWriter::new(out, args.format) {
        Ok(writer) => writer,
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => return ExitStatus::Clean,
        Err(err) => {
            eprintln!("evident: cannot write the output: {err}");
            return ExitStatus::Errors;
        }
    };
    let progress = io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} events written ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    });
    let sink = WriteSink {
        filter,
        format: args.format,
        writer: Mutex::new(Some(writer)),
        closed: AtomicBool::new(false),
        failure: Mutex::new(None),
        progress,
        written: AtomicU64::new(0),
    };
    let summary = read_inputs(&args.paths, &plan, &sink);
    if let Some(bar) = &sink.progress {
        bar.finish_and_clear();
    }
    let mut output_failed = false;
    let writer = sink.writer.lock().ok().and_then(|mut w| w.take());
    if let Some(writer) = writer {
        if let Err(err) = writer.finish() {
            if err.kind() != io::ErrorKind::BrokenPipe {
                eprintln!("evident: cannot write the output: {err}");
                output_failed = true;
            }
        }
    }
    if let Some(err) = sink.failure.lock().ok().and_then(|mut f| f.take()) {
        eprintln!("evident: cannot write the output: {err}");
        output_failed = true;
    }
    print_summary(&summary, sink.written.load(Ordering::Relaxed));
    if output_failed || summary.has_errors() {
        ExitStatus::Errors
    } else {
        ExitStatus::Clean
    }
}

/// Prints each input error on its own line, then one summary line, on stderr.
pub fn print_summary(summary: &ReadSummary, written: u64) {
    let stderr = io::stderr();
    let mut err = stderr.lock();
    for error in summary.errors() {
        let _ = writeln!(err, "{error}");
    }
    let files: std::collections::BTreeSet<&str> =
        summary.sources.iter().map(|s| s.file.as_str()).collect();
    let with_errors: std::collections::BTreeSet<&str> = summary
        .sources
        .iter()
        .filter(|s| !s.errors.is_empty())
        .map(|s| s.file.as_str())
        .collect();
    let _ = writeln!(
        err,
        "read {} records from {} {}; {} events written; {} {} with errors",
        thousands(summary.records()),
        thousands(files.len() as u64),
        if files.len() == 1 { "file" } else { "files" },
        thousands(written),
        with_errors.len(),
        if with_errors.len() == 1 {
            "file"
        } else {
            "files"
        },
    );
}

/// `12345` as `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_and_ranges_parse() {
        let ids = parse_ids("1026, 36870-36888").unwrap();
        assert!(ids.contains(1026) && ids.contains(36870) && ids.contains(36888));
        assert!(!ids.contains(36889) && !ids.contains(1027));
        assert!(parse_ids("5-2").is_err());
        assert!(parse_ids("abc").is_err());
    }

    #[test]
    fn times_parse_as_utc() {
        assert_eq!(
            parse_time_arg("2024-05-01").unwrap().to_string(),
            "2024-05-01T00:00:00Z"
        );
        assert_eq!(
            parse_time_arg("2024-05-01T10:00:00+02:00")
                .unwrap()
                .to_string(),
            "2024-05-01T08:00:00Z"
        );
        assert!(parse_time_arg("soon").is_err());
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(12345), "12,345");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
