//! The file formats of exports: typed cells, CSV (RFC 4180) that spreadsheet apps cannot
//! mistake for formulas, and XLSX with typed columns (dates as dates, money as numbers with
//! the currency in a column of its own), written row by row with flat memory.

use std::path::Path;

/// One value of an export row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// An amount in minor units and its currency's exponent: `125000, 2` is 1250.00.
    Amount {
        minor: i64,
        exponent: u32,
    },
    /// `YYYY-MM-DD`.
    Date(String),
    /// An RFC 3339 instant (written in UTC).
    Time(String),
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Self {
        Cell::Text(value.into())
    }

    pub fn opt_text(value: Option<&str>) -> Self {
        value.map_or(Cell::Empty, |v| Cell::Text(v.to_string()))
    }

    pub fn opt_time(value: Option<&str>) -> Self {
        value.map_or(Cell::Empty, |v| Cell::Time(v.to_string()))
    }

    /// The decimal form of an amount: `-12.50`.
    fn decimal(minor: i64, exponent: u32) -> String {
        let digits = minor.unsigned_abs().to_string();
        let sign = if minor < 0 { "-" } else { "" };
        if exponent == 0 {
            return format!("{sign}{digits}");
        }
        let e = exponent as usize;
        let padded = format!("{digits:0>width$}", width = e + 1);
        let (int, frac) = padded.split_at(padded.len() - e);
        format!("{sign}{int}.{frac}")
    }

    /// The instant as `YYYY-MM-DD HH:MM:SS` in UTC (what spreadsheet apps read as a time).
    fn utc(at: &str) -> String {
        chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| {
                t.with_timezone(&chrono::Utc)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|_| at.to_string())
    }
}

/// A text cell a spreadsheet app would run as a formula (`=`, `+`, `-`, `@`, or a tab or
/// carriage return before one) is prefixed with `'`, which the app shows as text.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// CSV (RFC 4180): CRLF line ends, fields quoted when they hold a quote, comma or line
/// break, quotes doubled; an optional UTF-8 byte-order mark for spreadsheet apps.
#[derive(Debug, Default)]
pub struct Csv {
    pub buf: Vec<u8>,
}

impl Csv {
    pub fn new(bom: bool) -> Self {
        let mut buf = Vec::with_capacity(64 * 1024);
        if bom {
            buf.extend_from_slice("\u{feff}".as_bytes());
        }
        Self { buf }
    }

    pub fn header(&mut self, names: &[&str]) {
        let cells: Vec<Cell> = names.iter().map(|n| Cell::text(*n)).collect();
        self.row(&cells);
    }

    pub fn row(&mut self, cells: &[Cell]) {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            let field = match cell {
                Cell::Empty => String::new(),
                Cell::Text(t) => neutralise(t).into_owned(),
                Cell::Int(n) => n.to_string(),
                Cell::Amount { minor, exponent } => Cell::decimal(*minor, *exponent),
                Cell::Date(d) => d.clone(),
                Cell::Time(t) => Cell::utc(t),
            };
            if field.contains(['"', ',', '\r', '\n']) {
                self.buf.push(b'"');
                self.buf
                    .extend_from_slice(field.replace('"', "\"\"").as_bytes());
                self.buf.push(b'"');
            } else {
                self.buf.extend_from_slice(field.as_bytes());
            }
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    /// Takes what is written so far (to upload it as a part).
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

/// An XLSX workbook of one sheet, written row by row to a temporary file (the library's
/// constant-memory mode), then saved to `path`.
pub struct Xlsx {
    workbook: rust_xlsxwriter::Workbook,
    row: u32,
    date: rust_xlsxwriter::Format,
    time: rust_xlsxwriter::Format,
    money: [rust_xlsxwriter::Format; 4],
    header: rust_xlsxwriter::Format,
}

impl Xlsx {
    pub fn new(sheet: &str, temp_dir: &Path) -> Result<Self, rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut workbook = Workbook::new();
        workbook.set_tempdir(temp_dir)?;
        workbook
            .add_worksheet_with_constant_memory()?
            .set_name(sheet)?;
        Ok(Self {
            workbook,
            row: 0,
            date: Format::new().set_num_format("yyyy-mm-dd"),
            time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            money: [
                Format::new().set_num_format("#,##0"),
                Format::new().set_num_format("#,##0.0"),
                Format::new().set_num_format("#,##0.00"),
                Format::new().set_num_format("#,##0.000"),
            ],
            header: Format::new().set_bold(),
        })
    }

    fn sheet(&mut self) -> Result<&mut rust_xlsxwriter::Worksheet, rust_xlsxwriter::XlsxError> {
        self.workbook.worksheet_from_index(0)
    }

    pub fn header(&mut self, names: &[&str]) -> Result<(), rust_xlsxwriter::XlsxError> {
        let row = self.row;
        let header = self.header.clone();
        let ws = self.sheet()?;
        for (c, name) in names.iter().enumerate() {
            ws.write_string_with_format(row, c as u16, *name, &header)?;
        }
        self.row += 1;
        Ok(())
    }

    pub fn row(&mut self, cells: &[Cell]) -> Result<(), rust_xlsxwriter::XlsxError> {
        use rust_xlsxwriter::ExcelDateTime;
        let row = self.row;
        let (date, time) = (self.date.clone(), self.time.clone());
        let money = self.money.clone();
        let ws = self.sheet()?;
        for (c, cell) in cells.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Empty => {}
                // Cells are stored as text: no formula is ever written.
                Cell::Text(t) => {
                    ws.write_string(row, col, t)?;
                }
                Cell::Int(n) => {
                    ws.write_number(row, col, *n as f64)?;
                }
                Cell::Amount { minor, exponent } => {
                    let value = *minor as f64 / 10f64.powi(*exponent as i32);
                    ws.write_number_with_format(
                        row,
                        col,
                        value,
                        &money[(*exponent as usize).min(3)],
                    )?;
                }
                Cell::Date(d) => match ExcelDateTime::parse_from_str(d) {
                    Ok(v) => {
                        ws.write_datetime_with_format(row, col, &v, &date)?;
                    }
                    Err(_) => {
                        ws.write_string(row, col, d)?;
                    }
                },
                Cell::Time(t) => match ExcelDateTime::parse_from_str(&Cell::utc(t)) {
                    Ok(v) => {
                        ws.write_datetime_with_format(row, col, &v, &time)?;
                    }
                    Err(_) => {
                        ws.write_string(row, col, t)?;
                    }
                },
            }
        }
        self.row += 1;
        Ok(())
    }

    pub fn save(mut self, path: &Path) -> Result<(), rust_xlsxwriter::XlsxError> {
        self.workbook.save(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_of(cells: &[Cell]) -> String {
        let mut csv = Csv::new(false);
        csv.row(cells);
        String::from_utf8(csv.buf).unwrap()
    }

    #[test]
    fn csv_cells_cannot_inject_formulas() {
        for evil in ["=1+1", "+27 82", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            let line = csv_of(&[Cell::text(evil)]);
            assert!(
                line.starts_with("'") || line.starts_with("\"'"),
                "{evil:?} → {line:?}"
            );
        }
        assert_eq!(csv_of(&[Cell::text("Acme")]), "Acme\r\n");
        // Numbers stay numbers, negative ones included.
        assert_eq!(
            csv_of(&[
                Cell::Amount {
                    minor: -1250,
                    exponent: 2
                },
                Cell::Int(-3)
            ]),
            "-12.50,-3\r\n"
        );
    }

    #[test]
    fn csv_quotes_only_what_rfc_4180_needs() {
        assert_eq!(
            csv_of(&[
                Cell::text("a,b"),
                Cell::text("say \"hi\""),
                Cell::text("two\nlines"),
                Cell::Empty,
                Cell::Date("2026-11-29".into()),
                Cell::Time("2026-11-29T14:00:00+02:00".into()),
            ]),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,2026-11-29,2026-11-29 12:00:00\r\n"
        );
        let mut bom = Csv::new(true);
        bom.header(&["id"]);
        assert_eq!(bom.buf, b"\xef\xbb\xbfid\r\n");
    }

    #[test]
    fn amounts_keep_their_minor_units() {
        assert_eq!(Cell::decimal(5, 2), "0.05");
        assert_eq!(Cell::decimal(125_000, 2), "1250.00");
        assert_eq!(Cell::decimal(-7, 3), "-0.007");
        assert_eq!(Cell::decimal(1500, 0), "1500");
    }
}
