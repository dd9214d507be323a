//! `make bench` (infra/bench.sh): the portal's performance budgets, each measured as a ratio
//! against a baseline taken in the same run on this machine, printed as one table and
//! written to `target/bench/results.json`. Loopback only; fixed seeds and bounded loops.
//!
//! Sections (`BENCH_ONLY=cold,overhead,...` runs some):
//! - `cold`: function binaries started under a Runtime API stub: init and first invocation
//!   against a hello-world function and the same function warm.
//! - `overhead`: warm handlers against a function doing only the bare SDK read.
//! - `ingest`: Zoho webhooks through `crm-webhook` into the FIFO queue at concurrency 20,
//!   against raw `SendMessage`; then drained through the inbound worker, nothing lost.
//! - `writes`: concurrent lead creates and commission moves; counters against a recount.
//! - `scale`: read cost of the dashboards at 10, 1,000 and 10,000 records; export and
//!   nightly-score time per 1,000 records.
//! - sizes, build cost and cost on paper come from infra/bench.sh's files and the above
//!   (`BENCH_ONLY=sizes`, which names no section, prints only those rows).

// The handlers' futures (CRM worker, store, appliers) nest deeper than the default limit.
#![recursion_limit = "256"]

mod meter;
mod phases;
mod report;
mod stub;

use report::Report;

#[tokio::main]
async fn main() {
    let only: Vec<String> = std::env::var("BENCH_ONLY")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let wants = |section: &str| only.is_empty() || only.iter().any(|s| s == section);
    let mut report = Report::load();
    let portal = portal_tests::portal::Portal::new().await;
    if wants("cold") || wants("overhead") {
        phases::processes(&mut report, &portal, wants("cold"), wants("overhead")).await;
    }
    if wants("ingest") {
        phases::ingest(&mut report).await;
    }
    if wants("writes") {
        phases::writes(&mut report, portal).await;
    }
    if wants("scale") {
        phases::scale(&mut report).await;
    }
    report.files();
    report.cost();
    report.finish();
}
