//! The results: one table on stdout and `results.json` in `BENCH_OUT` (target/bench).

use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::time::Duration;

pub struct Row {
    pub section: &'static str,
    pub measure: String,
    pub value: String,
    pub goal: String,
}

pub struct Report {
    pub rows: Vec<Row>,
    pub json: Map<String, Value>,
    out: PathBuf,
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

/// The value at quantile `q` (nearest rank) of unsorted samples.
pub fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut s = samples.to_vec();
    s.sort();
    if s.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * s.len() as f64).ceil() as usize).clamp(1, s.len());
    s[rank - 1]
}

pub fn median(samples: &[Duration]) -> Duration {
    quantile(samples, 0.5)
}

pub fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() {
        return f64::NAN;
    }
    (a.as_secs_f64() / b.as_secs_f64() * 100.0).round() / 100.0
}

impl Report {
    pub fn load() -> Self {
        let out =
            PathBuf::from(std::env::var("BENCH_OUT").unwrap_or_else(|_| "target/bench".into()));
        std::fs::create_dir_all(&out).expect("the output directory");
        let mut json = Map::new();
        json.insert("date".into(), json!(chrono::Utc::now().to_rfc3339()));
        Self {
            rows: Vec::new(),
            json,
            out,
        }
    }

    pub fn row(
        &mut self,
        section: &'static str,
        measure: impl Into<String>,
        value: impl Into<String>,
        goal: impl Into<String>,
    ) {
        let row = Row {
            section,
            measure: measure.into(),
            value: value.into(),
            goal: goal.into(),
        };
        eprintln!(
            "  {:<10} {:<58} {:<34} {}",
            row.section, row.measure, row.value, row.goal
        );
        self.rows.push(row);
    }

    pub fn put(&mut self, path: &[&str], value: Value) {
        let mut node = &mut self.json;
        for key in &path[..path.len() - 1] {
            node = node
                .entry(key.to_string())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("an object");
        }
        node.insert(path[path.len() - 1].to_string(), value);
    }

    fn read(&self, name: &str) -> Option<Value> {
        let text = std::fs::read_to_string(self.out.join(name)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Package sizes and build cost, measured by infra/bench.sh.
    pub fn files(&mut self) {
        if let Some(sizes) = self.read("sizes.json") {
            let zips: Vec<(String, u64)> = sizes["zips"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default();
            if !zips.is_empty() {
                let mut sorted: Vec<u64> = zips.iter().map(|(_, s)| *s).collect();
                sorted.sort();
                let (name, largest) = zips.iter().max_by_key(|(_, s)| *s).cloned().unwrap();
                let median = sorted[sorted.len() / 2];
                let over: Vec<&str> = zips
                    .iter()
                    .filter(|(_, s)| *s > 6_000_000)
                    .map(|(n, _)| n.as_str())
                    .collect();
                let profile = sizes["profile"].as_str().unwrap_or("release").to_string();
                let target = sizes["target"].as_str().unwrap_or("").to_string();
                self.row(
                    "size",
                    format!("zip, {} functions ({profile}, {target})", zips.len()),
                    format!(
                        "largest {:.2} MB ({name}), median {:.2} MB",
                        mb(largest),
                        mb(median)
                    ),
                    format!(
                        "≤ 6 MB (10^6 bytes) each: {}",
                        if over.is_empty() {
                            "met".to_string()
                        } else {
                            format!("over: {}", over.join(", "))
                        }
                    ),
                );
            }
            self.json.insert("sizes".into(), sizes);
        }
        if let Some(build) = self.read("build.json") {
            for (name, v) in build.as_object().cloned().unwrap_or_default() {
                if let Some(secs) = v.as_f64() {
                    self.row("build", name.replace('_', " "), format!("{secs:.0} s"), "");
                } else if let Some(s) = v.as_str() {
                    self.row("build", name.replace('_', " "), s.to_string(), "");
                }
            }
            self.json.insert("build".into(), build);
        }
    }

    /// Cost on paper from the measured warm durations and the template's memory sizes.
    pub fn cost(&mut self) {
        let Some(functions) = self.read("functions.json") else {
            return;
        };
        // Public list prices, us-east-1 (aws.amazon.com/lambda/pricing, /api-gateway/pricing,
        // /sqs/pricing, /dynamodb/pricing/on-demand), as of 2026-11.
        let prices = json!({
            "lambda_arm64_gb_second": 0.0000133334,
            "lambda_x86_64_gb_second": 0.0000166667,
            "lambda_request": 0.20 / 1e6,
            "http_api_request": 1.00 / 1e6,
            "sqs_fifo_request": 0.50 / 1e6,
            "dynamodb_read_request_unit": 0.125 / 1e6,
            "dynamodb_write_request_unit": 0.625 / 1e6,
        });
        self.put(&["cost", "prices"], prices.clone());
        let warm = self.json.get("warm_ms").cloned().unwrap_or_default();
        let per_million = |memory_mb: f64, ms: f64, arm: bool| -> f64 {
            let billed_ms = ms.ceil().max(1.0);
            let gb_s = memory_mb / 1024.0 * billed_ms / 1000.0;
            let rate = if arm {
                prices["lambda_arm64_gb_second"].as_f64().unwrap()
            } else {
                prices["lambda_x86_64_gb_second"].as_f64().unwrap()
            };
            (gb_s * rate + prices["lambda_request"].as_f64().unwrap()) * 1e6
        };
        for (function, ms) in warm.as_object().cloned().unwrap_or_default() {
            let Some(ms) = ms.as_f64() else { continue };
            let f = &functions[&function];
            let memory = f["memory"].as_f64().unwrap_or(128.0);
            let arm = f["arch"].as_str() == Some("arm64");
            let lambda = per_million(memory, ms, arm);
            let front = if function == "crm-webhook" {
                // A Function URL has no request price; each webhook is one FIFO send.
                prices["sqs_fifo_request"].as_f64().unwrap() * 1e6
            } else if function == "crm-inbound" || function == "email-sender" {
                0.0
            } else {
                prices["http_api_request"].as_f64().unwrap() * 1e6
            };
            let (reads, writes) = self
                .json
                .get("capacity")
                .and_then(|c| c.get(&function))
                .map_or((0.0, 0.0), |c| {
                    (
                        c["read_units"].as_f64().unwrap_or(0.0),
                        c["write_units"].as_f64().unwrap_or(0.0),
                    )
                });
            let dynamo = reads * prices["dynamodb_read_request_unit"].as_f64().unwrap() * 1e6
                + writes * prices["dynamodb_write_request_unit"].as_f64().unwrap() * 1e6;
            let total = lambda + front + dynamo;
            self.put(&["cost", &function], json!({"memory_mb": memory, "warm_ms": ms, "lambda_usd_per_million": lambda, "front_usd_per_million": front, "dynamodb_usd_per_million": dynamo, "read_units": reads, "write_units": writes, "total_usd_per_million": total}));
            self.row(
                "cost",
                format!(
                    "{function}: per million calls ({memory} MB, {ms:.1} ms warm{})",
                    if arm { ", arm64" } else { "" }
                ),
                format!("${total:.2} (Lambda {lambda:.2}, front {front:.2}, DynamoDB {dynamo:.2})"),
                format!("{reads:.1} RRU + {writes:.1} WRU a call"),
            );
        }
    }

    pub fn finish(&mut self) {
        let path = self.out.join("results.json");
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| json!({"section": r.section, "measure": r.measure, "value": r.value, "goal": r.goal}))
            .collect();
        self.json.insert("table".into(), Value::Array(rows));
        std::fs::write(&path, serde_json::to_string_pretty(&self.json).unwrap())
            .expect("results.json");
        let w = |f: fn(&Row) -> &str| {
            self.rows
                .iter()
                .map(|r| f(r).chars().count())
                .max()
                .unwrap_or(0)
        };
        let (a, b, c) = (
            w(|r| r.section).max(7),
            w(|r| &r.measure).max(7),
            w(|r| &r.value).max(5),
        );
        println!();
        println!(
            "{:<a$}  {:<b$}  {:<c$}  goal / note",
            "section", "measure", "value"
        );
        println!("{}", "-".repeat(a + b + c + 20));
        for r in &self.rows {
            println!(
                "{:<a$}  {:<b$}  {:<c$}  {}",
                r.section, r.measure, r.value, r.goal
            );
        }
        println!("\n(written to {})", path.display());
    }
}

/// Megabytes of 10^6 bytes: the budget's unit, read strictly (a mebibyte is 4.9 % more).
fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}
