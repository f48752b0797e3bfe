//! A record handed over as a repeat of an earlier one (`EventSink::accept_repeat`) is the
//! event the record gives read in full: for every record of the samples, the corpus, and any
//! inputs named in `EVIDENT_REPEAT_INPUTS` (paths separated by `:`), with every record wanted,
//! and with heads filtered.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use evident::event::Event;
use evident::source::{read_inputs, EventSink, Identity, ReadPlan, RecordHead};

/// Which heads a sink wants.
#[derive(Clone, Copy, Debug)]
enum Wants {
    /// Every record, without heads read (`filters_heads` false).
    All,
    /// Every record, heads read.
    AllAsked,
    /// Some event ids only.
    Some,
}

impl Wants {
    fn filters(self) -> bool {
        !matches!(self, Wants::All)
    }
    fn wants(self, head: &RecordHead<'_>) -> bool {
        match self {
            Wants::All | Wants::AllAsked => true,
            Wants::Some => head.event_id % 3 != 1,
        }
    }
}

struct Collect {
    wants: Wants,
    repeats: bool,
    events: Mutex<Vec<Event>>,
    offered: AtomicUsize,
}

impl EventSink for Collect {
    fn wants(&self, head: &RecordHead<'_>) -> bool {
        self.wants.wants(head)
    }
    fn filters_heads(&self) -> bool {
        self.wants.filters()
    }
    fn accept(&self, event: Event) {
        self.events.lock().unwrap().push(event);
    }
    fn takes_repeats(&self) -> bool {
        self.repeats
    }
    fn accept_repeat(&self, base: &Event, identity: &Identity) {
        self.offered.fetch_add(1, Ordering::Relaxed);
        let mut event = base.clone();
        identity.apply(&mut event);
        self.accept(event);
    }
}

fn inputs() -> Vec<PathBuf> {
    if let Ok(list) = std::env::var("EVIDENT_REPEAT_INPUTS") {
        return list.split(':').map(PathBuf::from).collect();
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut inputs = vec![root.join("samples")];
    let corpus = root.join("../shared/corpus");
    if corpus.exists() {
        inputs.push(corpus);
    } else {
        eprintln!("notice: ../shared/corpus is absent; repeats checked on the samples only");
    }
    inputs
}

fn read(inputs: &[PathBuf], threads: usize, wants: Wants, repeats: bool) -> (Vec<Event>, usize) {
    let sink = Collect {
        wants,
        repeats,
        events: Mutex::new(Vec::new()),
        offered: AtomicUsize::new(0),
    };
    read_inputs(inputs, &ReadPlan { threads }, &sink);
    let mut events = sink.events.into_inner().unwrap();
    events.sort_by(|a, b| {
        let key = |e: &Event| {
            (
                e.origin.file.to_string(),
                e.origin.member.clone(),
                e.origin.chunk,
                e.origin.record,
            )
        };
        key(a).cmp(&key(b))
    });
    (events, sink.offered.into_inner())
}

#[test]
fn a_repeat_is_the_event_its_record_gives_in_full() {
    let inputs = inputs();
    for threads in [1, 2] {
        for wants in [Wants::All, Wants::AllAsked, Wants::Some] {
            let (plain, _) = read(&inputs, threads, wants, false);
            let (repeated, offered) = read(&inputs, threads, wants, true);
            eprintln!(
                "{threads} threads, {wants:?}: {} events, {offered} repeats",
                plain.len()
            );
            assert!(offered > 0 || std::env::var("EVIDENT_REPEAT_INPUTS").is_ok());
            assert_eq!(repeated.len(), plain.len(), "{threads} threads, {wants:?}");
            for (r, p) in repeated.iter().zip(&plain) {
                assert_eq!(r, p, "{threads} threads, {wants:?}");
            }
        }
    }
}
