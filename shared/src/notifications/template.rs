//! The one way an email is written: a [`Message`] of blocks, rendered twice, as plain
//! text and as HTML. Values are escaped in the HTML part, links only ever come from the
//! blocks that hold them (never from text), and every email ends with the same footer.

/// One part of an email's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph.
    Text(String),
    /// A link on its own line (a button in HTML).
    Link { label: String, url: String },
    /// A bulleted list.
    List(Vec<String>),
    /// A table with a header row; `rows` have as many cells as `head`.
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// Small print.
    Fine(String),
}

/// An email before rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    /// `Hello Naledi,` or `Hello,`.
    pub greeting: String,
    pub blocks: Vec<Block>,
}

/// What the footer links to: where the recipient manages their emails, and the one-click
/// unsubscribe of this kind of email (non-transactional emails only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footer {
    pub preferences: Option<String>,
    pub unsubscribe: Option<String>,
}

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Message {
    pub fn new(subject: impl Into<String>, greeting: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            greeting: greeting.into(),
            blocks: Vec::new(),
        }
    }

    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Text(text.into()));
        self
    }

    pub fn link(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.blocks.push(Block::Link {
            label: label.into(),
            url: url.into(),
        });
        self
    }

    pub fn list(mut self, items: Vec<String>) -> Self {
        if !items.is_empty() {
            self.blocks.push(Block::List(items));
        }
        self
    }

    pub fn table(mut self, head: Vec<String>, rows: Vec<Vec<String>>) -> Self {
        self.blocks.push(Block::Table { head, rows });
        self
    }

    pub fn fine(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Fine(text.into()));
        self
    }

    /// A paragraph only when there is something to say (e.g. a reason).
    pub fn text_if(self, text: Option<String>) -> Self {
        match text {
            Some(t) => self.text(t),
            None => self,
        }
    }

    pub fn render(&self, footer: &Footer) -> Rendered {
        Rendered {
            subject: one_line(&self.subject),
            text: self.plain(footer),
            html: self.html(footer),
        }
    }

    fn plain(&self, footer: &Footer) -> String {
        let mut out = vec![self.greeting.clone()];
        for block in &self.blocks {
            out.push(match block {
                Block::Text(t) | Block::Fine(t) => t.clone(),
                Block::Link { label, url } => format!("{label}:\n{url}"),
                Block::List(items) => items
                    .iter()
                    .map(|i| format!("  - {i}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                Block::Table { head, rows } => plain_table(head, rows),
            });
        }
        let mut foot = Vec::new();
        if let Some(url) = &footer.preferences {
            foot.push(format!("Choose which emails you get: {url}"));
        }
        if let Some(url) = &footer.unsubscribe {
            foot.push(format!("Unsubscribe from emails like this one: {url}"));
        }
        if !foot.is_empty() {
            out.push(format!("--\n{}", foot.join("\n")));
        }
        out.join("\n\n") + "\n"
    }

    fn html(&self, footer: &Footer) -> String {
        let mut body = format!("<p>{}</p>\n", escape(&self.greeting));
        for block in &self.blocks {
            body.push_str(&match block {
                Block::Text(t) => format!("<p>{}</p>\n", escape(t).replace('\n', "<br>")),
                Block::Fine(t) => format!(
                    "<p style=\"color:#555;font-size:13px\">{}</p>\n",
                    escape(t)
                ),
                Block::Link { label, url } => format!(
                    "<p><a href=\"{}\" style=\"display:inline-block;padding:10px 16px;\
                     background:#1f4fd1;color:#fff;text-decoration:none;border-radius:4px\">{}</a></p>\n",
                    escape(&safe_url(url)),
                    escape(label)
                ),
                Block::List(items) => format!(
                    "<ul>\n{}</ul>\n",
                    items
                        .iter()
                        .map(|i| format!("<li>{}</li>\n", escape(i)))
                        .collect::<String>()
                ),
                Block::Table { head, rows } => html_table(head, rows),
            });
        }
        let mut foot = Vec::new();
        if let Some(url) = &footer.preferences {
            foot.push(format!(
                "<a href=\"{}\">Choose which emails you get</a>",
                escape(&safe_url(url))
            ));
        }
        if let Some(url) = &footer.unsubscribe {
            foot.push(format!(
                "<a href=\"{}\">Unsubscribe from emails like this one</a>",
                escape(&safe_url(url))
            ));
        }
        if !foot.is_empty() {
            body.push_str(&format!(
                "<hr><p style=\"color:#555;font-size:13px\">{}</p>\n",
                foot.join(" · ")
            ));
        }
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>{}</title></head>\n<body style=\"font-family:Arial,Helvetica,sans-serif;\
             color:#111;line-height:1.5;max-width:640px\">\n{body}</body></html>\n",
            escape(&one_line(&self.subject))
        )
    }
}

fn plain_table(head: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .chain(std::iter::once(&head[c]))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    std::iter::once(line(head))
        .chain(rows.iter().map(|r| line(r)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn html_table(head: &[String], rows: &[Vec<String>]) -> String {
    let cells = |tag: &str, cells: &[String]| {
        cells
            .iter()
            .map(|c| {
                format!(
                    "<{tag} style=\"text-align:left;padding:4px 12px 4px 0\">{}</{tag}>",
                    escape(c)
                )
            })
            .collect::<String>()
    };
    format!(
        "<table style=\"border-collapse:collapse\"><thead><tr>{}</tr></thead><tbody>\n{}</tbody></table>\n",
        cells("th", head),
        rows.iter()
            .map(|r| format!("<tr>{}</tr>\n", cells("td", r)))
            .collect::<String>()
    )
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only http(s) URLs become links; anything else (a `javascript:` URL) links nowhere.
fn safe_url(url: &str) -> String {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        url.to_string()
    } else {
        "#".to_string()
    }
}

/// A subject is one line (a header cannot carry a line break).
fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_in_html_and_kept_in_text() {
        let m = Message::new("Lead <b>won</b>\r\nBcc: x", "Hello <script>,")
            .text("Acme & Sons \"quoted\"")
            .list(vec!["<img src=x onerror=alert(1)>".into()])
            .link("Open", "javascript:alert(1)")
            .table(vec!["Lead".into()], vec![vec!["<i>".into()]]);
        let r = m.render(&Footer::default());
        assert_eq!(r.subject, "Lead <b>won</b> Bcc: x", "one line");
        assert!(r.html.contains("Acme &amp; Sons &quot;quoted&quot;"));
        assert!(r.html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(r.html.contains("&lt;script&gt;"));
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("javascript:"), "{}", r.html);
        assert!(
            r.html
                .contains("<td style=\"text-align:left;padding:4px 12px 4px 0\">&lt;i&gt;</td>")
        );
        assert!(r.text.contains("Acme & Sons \"quoted\""));
        assert!(r.text.contains("  - <img src=x onerror=alert(1)>"));
    }

    #[test]
    fn the_footer_carries_the_preferences_and_unsubscribe_links() {
        let footer = Footer {
            preferences: Some("https://portal.test/app/settings/notifications".into()),
            unsubscribe: Some("https://portal.test/unsubscribe/a.b".into()),
        };
        let r = Message::new("S", "Hello,").text("Body").render(&footer);
        assert!(r.text.ends_with(
            "--\nChoose which emails you get: https://portal.test/app/settings/notifications\n\
             Unsubscribe from emails like this one: https://portal.test/unsubscribe/a.b\n"
        ));
        assert!(
            r.html
                .contains("href=\"https://portal.test/unsubscribe/a.b\"")
        );
        let bare = Message::new("S", "Hello,")
            .text("Body")
            .render(&Footer::default());
        assert!(!bare.text.contains("--"), "no footer without links");
    }

    #[test]
    fn a_plain_table_lines_up_its_columns() {
        let t = plain_table(
            &["Lead".into(), "Due".into()],
            &[vec!["Naledi Dube".into(), "today".into()]],
        );
        assert_eq!(t, "Lead         Due\nNaledi Dube  today");
    }
}
