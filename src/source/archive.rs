//! `.zip` bundles (a folder of logs from one or many hosts, zipped), read member by member in
//! memory.
//!
//! An archive is untrusted input: members are never extracted to disk and their names are
//! never used as paths (only shown). Every read is bounded by [`ZipLimits`]: the number of
//! members, the size of one member, the total uncompressed size and the compression ratio; a
//! member beyond a limit is refused with a one-line [`InputErrorKind::LimitExceeded`] error and
//! the rest of the archive is still read. A zip inside a zip is read (one level); deeper
//! nesting is refused.

use std::io::{Cursor, Read, Seek};

use super::evtx::EvtxRun;
use super::walk::is_log_name;
use super::{
    detect, unknown_reason, EventSink, InputErrorKind, SourceCtx, SourceKind, SourceReport,
};

/// The bounds on reading one archive.
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    /// Members read at most; the rest are reported and skipped.
    pub max_members: usize,
    /// The largest member read (uncompressed bytes): it is held in memory while read.
    pub max_member_bytes: u64,
    /// Uncompressed bytes read from one archive in all.
    pub max_total_bytes: u64,
    /// The highest uncompressed / compressed ratio accepted for a member over 1 MiB.
    pub max_ratio: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits {
            max_members: 5_000,
            max_member_bytes: 256 * 1024 * 1024,
            max_total_bytes: 4 * 1024 * 1024 * 1024,
            max_ratio: 200,
        }
    }
}

/// Members at most this large are exempt from the ratio check (tiny XML compresses well).
const RATIO_EXEMPT_BYTES: u64 = 1024 * 1024;

/// Reads every member of a zip archive. `nested` is true for a zip found inside a zip.
pub(crate) fn read_zip<R: Read + Seek>(
    data: R,
    file: &str,
    limits: &ZipLimits,
    nested: bool,
    run: EvtxRun<'_>,
    sink: &dyn EventSink,
) -> Vec<SourceReport> {
    let ctx = SourceCtx {
        file: file.into(),
        member: None,
    };
    let mut archive = match zip::ZipArchive::new(data) {
        Ok(archive) => archive,
        Err(err) => {
            let mut report = ctx.report(Some(SourceKind::Zip));
            report.errors.push(ctx.error(
                None,
                InputErrorKind::Malformed,
                format!("unreadable zip archive: {err}"),
            ));
            return vec![report];
        }
    };
    let mut reports = Vec::new();
    let mut total = 0u64;
    let count = archive.len();
    if count > limits.max_members {
        let mut report = ctx.report(Some(SourceKind::Zip));
        report.errors.push(ctx.error(
            None,
            InputErrorKind::LimitExceeded,
            format!(
                "the archive has {count} members; only the first {} are read",
                limits.max_members
            ),
        ));
        reports.push(report);
    }
    for index in 0..count.min(limits.max_members) {
        let mut member = match archive.by_index(index) {
            Ok(member) => member,
            Err(err) => {
                let mut report = ctx.report(Some(SourceKind::Zip));
                report.errors.push(ctx.error(
                    None,
                    InputErrorKind::Malformed,
                    format!("member #{index}: {err}"),
                ));
                reports.push(report);
                continue;
            }
        };
        if member.is_dir() {
            continue;
        }
        let name = display_name(member.name());
        let member_ctx = SourceCtx {
            file: file.into(),
            member: Some(name.clone()),
        };
        let refuse = |kind, message: String| {
            let mut report = member_ctx.report(None);
            report.errors.push(member_ctx.error(None, kind, message));
            report
        };
        if member.enclosed_name().is_none() {
            reports.push(refuse(
                InputErrorKind::UnsupportedFormat,
                "an unsafe member name (absolute or with `..`); not read".into(),
            ));
            continue;
        }
        if member.encrypted() {
            reports.push(refuse(
                InputErrorKind::UnsupportedFormat,
                "an encrypted member; not read".into(),
            ));
            continue;
        }
        let (size, packed) = (member.size(), member.compressed_size());
        if size > limits.max_member_bytes {
            reports.push(refuse(
                InputErrorKind::LimitExceeded,
                format!(
                    "member of {size} bytes uncompressed, over the {} byte limit; not read",
                    limits.max_member_bytes
                ),
            ));
            continue;
        }
        if size > RATIO_EXEMPT_BYTES && size / packed.max(1) > limits.max_ratio {
            reports.push(refuse(
                InputErrorKind::LimitExceeded,
                format!(
                    "compression ratio {}:1 over the {}:1 limit (a zip bomb?); not read",
                    size / packed.max(1),
                    limits.max_ratio
                ),
            ));
            continue;
        }
        if total.saturating_add(size) > limits.max_total_bytes {
            reports.push(refuse(
                InputErrorKind::LimitExceeded,
                format!(
                    "the archive's members exceed {} bytes uncompressed in all; the rest is not read",
                    limits.max_total_bytes
                ),
            ));
            break;
        }
        // The declared size may lie: read one byte past the limit to notice.
        let mut bytes = Vec::with_capacity(size.min(limits.max_member_bytes) as usize);
        let read = (&mut member)
            .take(limits.max_member_bytes + 1)
            .read_to_end(&mut bytes);
        if let Err(err) = read {
            reports.push(refuse(
                InputErrorKind::Malformed,
                format!("cannot decompress the member: {err}"),
            ));
            continue;
        }
        if bytes.len() as u64 > limits.max_member_bytes {
            reports.push(refuse(
                InputErrorKind::LimitExceeded,
                format!(
                    "member larger than the {} byte limit uncompressed; not read",
                    limits.max_member_bytes
                ),
            ));
            continue;
        }
        total += bytes.len() as u64;
        drop(member);
        reports.extend(read_member(
            bytes,
            &member_ctx,
            &name,
            limits,
            nested,
            run,
            sink,
        ));
    }
    reports
}

fn read_member(
    bytes: Vec<u8>,
    ctx: &SourceCtx,
    name: &str,
    limits: &ZipLimits,
    nested: bool,
    run: EvtxRun<'_>,
    sink: &dyn EventSink,
) -> Vec<SourceReport> {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    match detect(head) {
        SourceKind::Evtx => vec![super::evtx::read_evtx(
            super::evtx::EvtxBytes::Memory(&bytes),
            ctx,
            run,
            sink,
        )],
        SourceKind::Zip if !nested => {
            let file = format!("{}!{name}", ctx.file);
            read_zip(Cursor::new(bytes), &file, limits, true, run, sink)
        }
        SourceKind::Zip => {
            let mut report = ctx.report(Some(SourceKind::Zip));
            report.errors.push(ctx.error(
                None,
                InputErrorKind::LimitExceeded,
                "a zip nested more than one level deep; not read".into(),
            ));
            vec![report]
        }
        SourceKind::Xml | SourceKind::Json | SourceKind::Unknown => {
            if let Some(report) = super::read_text(&bytes[..], head, ctx, sink) {
                return vec![report];
            }
            if bytes.is_empty() || is_log_name(name) {
                let mut report = ctx.report(None);
                let kind = if bytes.is_empty() {
                    InputErrorKind::Empty
                } else {
                    InputErrorKind::UnsupportedFormat
                };
                report
                    .errors
                    .push(ctx.error(None, kind, unknown_reason(head)));
                vec![report]
            } else {
                // A README or a screenshot in the bundle: not a log, not an error.
                Vec::new()
            }
        }
    }
}

/// A member name fit for one error line: control characters replaced, length bounded.
fn display_name(name: &str) -> String {
    let mut shown: String = name
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(200)
        .collect();
    if name.chars().count() > 200 {
        shown.push('…');
    }
    shown
}
