//! The performance report as a one-page PDF (A4): the partner's KPIs, the score with its
//! components, rank and trend, the last four quarters as a table and a bar chart, and the
//! commissions per currency — the figures of the dashboard, from the same reads. Text is
//! set in the standard Helvetica fonts (WinAnsi encoding: characters outside Latin-1 print
//! as `?`); nothing is embedded, so the file is a few kilobytes.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};
use serde_json::Value;

use crate::money::Money;

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;

/// Latin-1 bytes of `text` (WinAnsi agrees with Latin-1 on printable characters).
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c as u32 {
            0x20..=0x7e | 0xa0..=0xff => c as u32 as u8,
            0x2013 | 0x2014 => b'-',
            _ => b'?',
        })
        .collect()
}

struct Page {
    content: Content,
    y: f32,
}

impl Page {
    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        let bytes = win_ansi(text);
        self.content.begin_text();
        self.content
            .set_font(Name(if bold { b"F2" } else { b"F1" }), size);
        self.content.next_line(x, y);
        self.content.show(Str(&bytes));
        self.content.end_text();
    }

    /// A line of text at the cursor, which moves down.
    fn line(&mut self, size: f32, bold: bool, text: &str) {
        self.y -= size * 1.5;
        let y = self.y;
        self.text(MARGIN, y, size, bold, text);
    }

    fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    fn bar(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: (f32, f32, f32)) {
        self.content.set_fill_rgb(rgb.0, rgb.1, rgb.2);
        self.content.rect(x, y, w, h);
        self.content.fill_nonzero();
        self.content.set_fill_rgb(0.0, 0.0, 0.0);
    }

    fn rule(&mut self) {
        self.y -= 6.0;
        self.content.set_line_width(0.5);
        self.content.move_to(MARGIN, self.y);
        self.content.line_to(WIDTH - MARGIN, self.y);
        self.content.stroke();
    }

    /// A table: a bold header, then rows, in columns starting at `xs`.
    fn table(&mut self, xs: &[f32], head: &[&str], rows: &[Vec<String>]) {
        self.y -= 15.0;
        let y = self.y;
        for (x, h) in xs.iter().zip(head) {
            self.text(*x, y, 9.5, true, h);
        }
        for row in rows {
            self.y -= 14.0;
            let y = self.y;
            for (x, cell) in xs.iter().zip(row) {
                self.text(*x, y, 9.5, false, cell);
            }
        }
    }
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

fn money_of(v: &Value) -> String {
    serde_json::from_value::<Money>(v.clone())
        .map(|m| m.display())
        .unwrap_or_else(|_| "-".to_string())
}

/// The report of `business_name` from its dashboard (`insight::dashboard`'s answer).
pub fn performance_report(business_name: &str, generated_on: &str, dashboard: &Value) -> Vec<u8> {
    let mut page = Page {
        content: Content::new(),
        y: HEIGHT - MARGIN,
    };
    page.line(18.0, true, &format!("{business_name}: performance report"));
    page.line(
        9.5,
        false,
        &format!(
            "Generated {generated_on} (UTC) - tier {}, KYC {}",
            dashboard["partner"]["tier"].as_str().unwrap_or("-"),
            dashboard["partner"]["kyc_status"].as_str().unwrap_or("-")
        ),
    );
    page.rule();

    // KPIs.
    let leads = &dashboard["leads"];
    page.line(12.0, true, "Leads");
    page.table(
        &[MARGIN, 140.0, 230.0, 320.0, 410.0],
        &["Total", "Open", "Won", "Lost", "Conversion"],
        &[vec![
            num(&leads["total"]).to_string(),
            num(&leads["open"]).to_string(),
            num(&leads["won"]).to_string(),
            num(&leads["lost"]).to_string(),
            format!("{:.1}%", num(&leads["conversion_rate"]) * 100.0),
        ]],
    );
    page.line(
        9.5,
        false,
        &format!("Overdue follow-ups: {}", num(&leads["overdue_follow_ups"])),
    );
    page.gap(6.0);

    // The score.
    let score = &dashboard["score"];
    let rank = match (score["rank"].as_u64(), score["of"].as_u64()) {
        (Some(r), Some(of)) => format!(", rank {r} of {of}"),
        _ => String::new(),
    };
    let trend = match (score["trend"].as_str(), score["delta_30d"].as_f64()) {
        (Some(t), Some(d)) => format!(", {t} {d:+.1} in 30 days"),
        _ => String::new(),
    };
    page.line(
        12.0,
        true,
        &format!("Score {:.1} / 100{rank}{trend}", num(&score["value"])),
    );
    let components: Vec<Vec<String>> = score["components"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    vec![
                        c["code"].as_str().unwrap_or("-").replace('_', " "),
                        format!("{:.1}", num(&c["value"])),
                        format!("{}%", num(&c["weight"])),
                        format!("{:.1}", num(&c["contribution"])),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    page.table(
        &[MARGIN, 250.0, 330.0, 410.0],
        &["Component", "Value", "Weight", "Points"],
        &components,
    );
    page.gap(8.0);

    // The quarters: a table, then a chart of leads created and won.
    let quarters: Vec<&Value> = dashboard["quarters"]
        .as_array()
        .map(|a| a.iter().rev().collect())
        .unwrap_or_default();
    page.line(12.0, true, "Last four quarters");
    let rows: Vec<Vec<String>> = quarters
        .iter()
        .map(|q| {
            let earned = q["commission_earned_minor"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(code, minor)| {
                            money_of(&serde_json::json!({"amount_minor": minor, "currency": code}))
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "-".to_string());
            vec![
                q["quarter"].as_str().unwrap_or("-").to_string(),
                num(&q["leads_created"]).to_string(),
                num(&q["won"]).to_string(),
                num(&q["lost"]).to_string(),
                format!("{:.1}%", num(&q["conversion_rate"]) * 100.0),
                earned,
            ]
        })
        .collect();
    page.table(
        &[MARGIN, 130.0, 200.0, 260.0, 320.0, 400.0],
        &[
            "Quarter",
            "Created",
            "Won",
            "Lost",
            "Conversion",
            "Commission earned",
        ],
        &rows,
    );
    page.gap(14.0);
    let chart_h = 110.0;
    let base = page.y - chart_h - 10.0;
    let most = quarters
        .iter()
        .map(|q| num(&q["leads_created"]).max(num(&q["won"])))
        .fold(1.0_f64, f64::max);
    for (i, q) in quarters.iter().enumerate() {
        let x = MARGIN + 20.0 + i as f32 * 120.0;
        let created = (num(&q["leads_created"]) / most) as f32 * chart_h;
        let won = (num(&q["won"]) / most) as f32 * chart_h;
        page.bar(x, base, 40.0, created, (0.2, 0.4, 0.8));
        page.bar(x + 44.0, base, 40.0, won, (0.2, 0.65, 0.3));
        page.text(
            x,
            base - 14.0,
            9.0,
            false,
            q["quarter"].as_str().unwrap_or("-"),
        );
    }
    page.bar(MARGIN + 20.0, base - 34.0, 8.0, 8.0, (0.2, 0.4, 0.8));
    page.text(MARGIN + 32.0, base - 33.0, 9.0, false, "leads created");
    page.bar(MARGIN + 120.0, base - 34.0, 8.0, 8.0, (0.2, 0.65, 0.3));
    page.text(MARGIN + 132.0, base - 33.0, 9.0, false, "won");
    page.y = base - 44.0;

    // Commissions.
    page.line(12.0, true, "Commissions to date");
    let currencies: Vec<Vec<String>> = dashboard["commissions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    vec![
                        c["currency"].as_str().unwrap_or("-").to_string(),
                        money_of(&c["earned"]),
                        money_of(&c["paid"]),
                        money_of(&c["balance"]),
                        money_of(&c["held"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    if currencies.is_empty() {
        page.line(9.5, false, "No commission yet.");
    } else {
        page.table(
            &[MARGIN, 110.0, 220.0, 330.0, 440.0],
            &["Currency", "Earned", "Paid", "To be paid", "On hold"],
            &currencies,
        );
    }
    let nps = &dashboard["feedback"];
    page.gap(8.0);
    page.line(
        9.5,
        false,
        &match nps["nps"].as_f64() {
            Some(n) => format!(
                "Customer feedback: NPS {n:.0} from {} answers",
                num(&nps["responses"])
            ),
            None => "Customer feedback: not available (no answers yet)".to_string(),
        },
    );

    let mut pdf = Pdf::new();
    let (catalog, tree, page_id, regular, bold, content_id) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
    );
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    let mut p = pdf.page(page_id);
    p.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
    p.parent(tree);
    p.contents(content_id);
    {
        let mut resources = p.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), regular);
        fonts.pair(Name(b"F2"), bold);
    }
    p.finish();
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let data = page.content.finish();
    pdf.stream(content_id, &data);
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_is_a_pdf_with_the_partners_figures() {
        let dashboard = serde_json::json!({
            "partner": {"tier": "gold", "kyc_status": "verified"},
            "leads": {"total": 12, "open": 5, "won": 4, "lost": 3, "conversion_rate": 0.5714,
                      "overdue_follow_ups": 1},
            "score": {"value": 72.4, "rank": 3, "of": 12, "trend": "up", "delta_30d": 2.1,
                      "components": [{"code": "conversion", "value": 57.1, "weight": 30,
                                      "contribution": 17.1}]},
            "quarters": [{"quarter": "2026-Q4", "leads_created": 6, "won": 2, "lost": 1,
                          "conversion_rate": 0.6667, "commission_earned_minor": {"ZAR": 125000}}],
            "commissions": [{"currency": "ZAR",
                             "earned": {"amount_minor": 125000, "currency": "ZAR"},
                             "paid": {"amount_minor": 0, "currency": "ZAR"},
                             "balance": {"amount_minor": 125000, "currency": "ZAR"},
                             "held": {"amount_minor": 0, "currency": "ZAR"}}],
            "feedback": {"nps": 50.0, "responses": 4}
        });
        let bytes = performance_report("Café Solar", "2026-11-29", &dashboard);
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.ends_with(b"%%EOF") || bytes.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&bytes);
        // A string with a byte outside ASCII (the é) is written in hex.
        let title: String = win_ansi("Café Solar: performance report")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(
            text.to_lowercase().contains(&title),
            "the title, in WinAnsi"
        );
        assert!(text.contains("(Score 72.4 / 100, rank 3 of 12, up +2.1 in 30 days)"));
        assert!(text.contains("(2026-Q4)"));
    }
}
