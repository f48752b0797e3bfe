//! `evident decode` against the domain reference: every code in every §3 table of
//! `../shared/domain/rdp-evidence.md` must decode, under the right family, to the table's
//! symbolic name or the key words of its meaning. Plus the command line: hex and decimal give the
//! same text, unknown codes exit 2, JSON parses.

use std::path::PathBuf;
use std::process::Command;

use evident::codes::{self, Family, Status};

fn reference() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/domain/rdp-evidence.md");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) => {
            println!(
                "skipping: domain reference {} not readable ({e})",
                path.display()
            );
            None
        }
    }
}

/// One markdown table of §3, with the subsection it sits in.
struct Table {
    section: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

fn section3_tables(doc: &str) -> Vec<Table> {
    let mut tables = Vec::new();
    let mut in3 = false;
    let mut section = String::new();
    let mut current: Option<Table> = None;
    for line in doc.lines() {
        if line.starts_with("## ") {
            in3 = line.starts_with("## §3");
        }
        if !in3 {
            continue;
        }
        if let Some(title) = line.strip_prefix("### ") {
            section = title.to_string();
        }
        if line.starts_with('|') {
            let row = cells(line);
            match current.as_mut() {
                None => {
                    current = Some(Table {
                        section: section.clone(),
                        header: row,
                        rows: vec![],
                    })
                }
                Some(_) if row.iter().all(|c| c.chars().all(|ch| "-: ".contains(ch))) => {}
                Some(t) => t.rows.push(row),
            }
        } else if let Some(t) = current.take() {
            tables.push(t);
        }
    }
    tables.extend(current);
    tables
}

fn clean(s: &str) -> String {
    s.replace("**", "").replace('`', "").trim().to_string()
}

fn number(s: &str) -> Option<u64> {
    let s = clean(s);
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The family a §3 table belongs to, the column holding the code, the column holding the
/// symbolic name (if any) and the column holding the meaning.
fn layout(t: &Table) -> (Family, usize, Option<usize>, usize) {
    let h = |i: usize| t.header.get(i).map(String::as_str).unwrap_or("");
    let s = t.section.as_str();
    if s.starts_with("3.1") {
        (Family::Disconnect, 0, Some(2), 3)
    } else if s.starts_with("3.2") && h(2).contains("ExtendedDisconnectReasonCode") {
        (Family::Extended, 0, Some(2), 3)
    } else if s.starts_with("3.2") {
        (Family::Negotiation, 0, Some(2), 3)
    } else if s.starts_with("3.3") {
        (Family::TlsAlert, 0, Some(2), 3)
    } else if s.starts_with("3.4") && h(0) == "hex" {
        (Family::Hresult, 0, Some(2), 3)
    } else if s.starts_with("3.4") {
        (Family::SchannelState, 1, None, 2)
    } else if s.starts_with("3.5") {
        (Family::Ntstatus, 0, Some(2), 3)
    } else if s.starts_with("3.6") {
        (Family::LsmReason, 0, None, 2)
    } else if s.starts_with("3.7") {
        (Family::EventId, 0, Some(1), 2)
    } else {
        panic!(
            "a §3 table this test does not know: {} {:?}",
            t.section, t.header
        )
    }
}

/// Every code a cell names: "1102 / 1103", "10010, 10011", "1203, 1205, 960 …".
fn codes_in(cell: &str) -> Vec<u64> {
    clean(cell)
        .split(['/', ','])
        .map(|p| p.trim().trim_end_matches('…').trim())
        .filter(|p| !p.is_empty())
        .map(|p| number(p).unwrap_or_else(|| panic!("not a code: {p:?} in {cell:?}")))
        .collect()
}

/// Lower-case words of four letters or more: the key words of a meaning.
fn key_words(text: &str) -> Vec<String> {
    clean(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn every_section3_code_decodes_under_its_family() {
    let Some(doc) = reference() else { return };
    let tables = section3_tables(&doc);
    assert!(
        tables.len() >= 10,
        "expected the ten §3 tables, found {}",
        tables.len()
    );
    let mut checked = 0;
    for t in &tables {
        let (family, code_col, name_col, meaning_col) = layout(t);
        for row in &t.rows {
            let meaning = &row[meaning_col];
            for code in codes_in(&row[code_col]) {
                let rows: Vec<_> = codes::lookup_all(family, code).collect();
                let context = format!("§{} {family} {code} ({code:#x}) {row:?}", t.section);
                assert!(!rows.is_empty(), "missing: {context}");
                assert!(
                    rows.iter().all(|r| !r.is_range()),
                    "only a range covers: {context}"
                );

                // The public decoder, with and without --family, finds it under this family.
                let typed = clean(&row[code_col]);
                let as_typed = if typed.contains(['/', ',']) {
                    code.to_string()
                } else {
                    typed
                };
                let pinned = codes::decode_as(&as_typed, None, Some(family))
                    .unwrap_or_else(|e| panic!("{context}: {e}"));
                assert!(
                    pinned.readings.iter().all(|r| r.info.family == family),
                    "{context}"
                );
                let bare =
                    codes::decode(&as_typed, None).unwrap_or_else(|e| panic!("{context}: {e}"));
                assert!(
                    bare.readings
                        .iter()
                        .any(|r| r.info.family == family && r.value == code),
                    "{context}: bare decode lists {:?}",
                    bare.readings
                        .iter()
                        .map(|r| r.info.family)
                        .collect::<Vec<_>>()
                );

                let symbolic = name_col.map(|c| clean(&row[c])).filter(|n| {
                    !n.is_empty() && !n.starts_with("(none") && n != "—" && !n.starts_with("— ")
                });
                match symbolic {
                    Some(name) => assert!(
                        rows.iter().any(|r| r.name == name),
                        "{context}: no row named {name:?}, have {:?}",
                        rows.iter().map(|r| r.name).collect::<Vec<_>>()
                    ),
                    None => {
                        let words = key_words(meaning);
                        let best = rows
                            .iter()
                            .map(|r| {
                                let text = format!("{} {}", r.meaning, r.detail).to_lowercase();
                                words.iter().filter(|w| text.contains(w.as_str())).count()
                            })
                            .max()
                            .unwrap_or(0);
                        assert!(
                            best * 10 >= words.len() * 8,
                            "{context}: meaning lacks the key words {words:?}"
                        );
                    }
                }

                // Where the reference says UNCONFIRMED, the row says so too.
                if clean(&row.join(" ")).contains("UNCONFIRMED") {
                    assert!(
                        rows.iter().any(|r| r.status == Status::Unconfirmed
                            || r.detail.contains("UNCONFIRMED")
                            || r.meaning.contains("UNCONFIRMED")),
                        "{context}: the reference says UNCONFIRMED, the table does not"
                    );
                }
                checked += 1;
            }
        }
    }
    println!("checked {checked} codes from {} §3 tables", tables.len());
    assert!(checked > 250, "only {checked} codes checked");
}

#[test]
fn collection_snippets_are_section6_verbatim() {
    let Some(doc) = reference() else { return };
    let start = doc.find("## §6").expect("§6 in the reference");
    let end = doc[start..]
        .find("\n## §7")
        .map_or(doc.len(), |e| start + e);
    let blocks: Vec<&str> = doc[start..end]
        .split("```powershell\n")
        .skip(1)
        .filter_map(|b| b.split("```").next())
        .collect();
    let ours = [
        codes::collect::COMMON,
        codes::collect::SERVER,
        codes::collect::CLIENT,
        codes::collect::GATEWAY,
        codes::collect::EXTRA_LOGGING,
        codes::collect::REVERT_EXTRA_LOGGING,
    ];
    assert_eq!(
        blocks.len(),
        ours.len(),
        "§6 has a different number of snippets"
    );
    for (theirs, ours) in blocks.iter().zip(ours) {
        assert_eq!(*theirs, ours);
    }
}

fn evident(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_evident"))
        .arg("decode")
        .args(args)
        .output()
        .expect("run evident");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn hex_and_decimal_pair_print_the_same_server_side_explanation() {
    let (rc_hex, hex, _) = evident(&["0x904", "0x7"]);
    let (rc_dec, dec, _) = evident(&["2308", "7"]);
    let (rc_case, case, _) = evident(&["0X904", "0X7"]);
    assert_eq!((rc_hex, rc_dec, rc_case), (0, 0, 0));
    assert_eq!(hex, dec);
    assert_eq!(hex, case);
    // prose is word-wrapped: compare with the whitespace collapsed
    let lower = hex
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(lower.contains("socket closed"));
    assert!(lower.contains("server denied the connection"));
    assert!(lower.contains("the cause is on the server"));
    assert!(lower.contains("not licensing"));
    assert!(lower.contains("not low bandwidth"));
    assert!(hex.contains("'Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational'"));
    assert!(hex.contains("[rule: private-key-access]"));
    // licensing is named only to rule it out
    assert!(!hex.contains("[rule: rds-licensing]"));
}

#[test]
fn ambiguous_number_lists_families_and_family_picks_one() {
    let (rc, out, _) = evident(&["40", "--brief"]);
    assert_eq!(rc, 0);
    assert!(out.contains("in 2 tables"), "{out}");
    let tls = out.find("TLS alert 40").expect("TLS alert listed");
    let event = out.find("Windows event ID 40").expect("event ID listed");
    assert!(tls < event);
    let (rc, out, _) = evident(&["40", "--family", "event-id", "--brief"]);
    assert_eq!(rc, 0);
    assert!(!out.contains("TLS alert"));
}

#[test]
fn unknown_and_malformed_codes_exit_2_with_a_message() {
    let (rc, out, err) = evident(&["0x12345"]);
    assert_eq!(rc, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("0x12345") && err.contains("not a known code"),
        "{err}"
    );
    let (rc, _, err) = evident(&["0x9g"]);
    assert_eq!(rc, 2);
    assert!(err.contains("position 4"), "{err}");
    let (rc, _, err) = evident(&["0x904", "--family", "tls-alert"]);
    assert_eq!(rc, 2);
    assert!(err.contains("TLS alert"), "{err}");
}

#[test]
fn json_output_is_machine_readable() {
    let (rc, out, _) = evident(&["0x904", "0x7", "--format", "json"]);
    assert_eq!(rc, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(
        v["readings"][0]["info"]["name"],
        "disconnectReasonAtClientWinsockFDCLOSE"
    );
    assert_eq!(v["readings"][0]["info"]["family"], "disconnect");
    assert_eq!(
        v["extended"]["info"]["name"],
        "exDiscReasonServerDeniedConnection"
    );
    assert_eq!(v["collect"][0]["machine"], "server");
    assert_eq!(v["advice"]["causes"][0]["rule"], "private-key-access");
    let (_, unconfirmed, _) = evident(&["0xB08", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&unconfirmed).expect("valid JSON");
    assert_eq!(v["readings"][0]["info"]["status"], "unconfirmed");
}

#[test]
fn every_rule_a_cause_names_is_in_the_rule_pack() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    if !dir.is_dir() {
        println!("skipping: no rule pack at {}", dir.display());
        return;
    }
    for id in codes::RULE_IDS {
        let path = dir.join(format!("{id}.yaml"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            text.lines().any(|l| l.trim() == format!("id: {id}")),
            "{} does not declare id: {id}",
            path.display()
        );
    }
}
