//! Zoho's search criteria: `(Field:op:value)`, or groups of them joined by `and` / `or`.

use serde_json::{Map, Value};

use crate::records::{parse_time, plain_text};

/// `(Field:op:value)`, or groups of them joined by `and` / `or`.
#[derive(Debug, PartialEq)]
pub(crate) enum Criteria {
    Cond {
        field: String,
        op: String,
        value: String,
    },
    And(Vec<Criteria>),
    Or(Vec<Criteria>),
}

impl Criteria {
    /// Whether the record matches; `None` for an operator the fake does not know.
    pub(crate) fn matches(&self, record: &Map<String, Value>) -> Option<bool> {
        match self {
            Criteria::And(all) => {
                let mut result = true;
                for c in all {
                    result &= c.matches(record)?;
                }
                Some(result)
            }
            Criteria::Or(any) => {
                let mut result = false;
                for c in any {
                    result |= c.matches(record)?;
                }
                Some(result)
            }
            Criteria::Cond { field, op, value } => {
                let mut path = field.split('.');
                let mut current = record.get(path.next()?).cloned().unwrap_or(Value::Null);
                for part in path {
                    current = current.get(part).cloned().unwrap_or(Value::Null);
                }
                let actual = plain_text(&current);
                let wanted = unescape(value);
                let eq = |v: &str| {
                    if v == "${EMPTY}" {
                        actual.trim().is_empty()
                    } else {
                        actual.trim().eq_ignore_ascii_case(v.trim())
                    }
                };
                let order = || match (actual.trim().parse::<f64>(), wanted.trim().parse::<f64>()) {
                    (Ok(a), Ok(b)) => a.partial_cmp(&b),
                    _ => match (parse_time(&actual), parse_time(&wanted)) {
                        (Some(a), Some(b)) => Some(a.cmp(&b)),
                        _ => Some(actual.as_str().cmp(wanted.as_str())),
                    },
                };
                use std::cmp::Ordering::{Equal, Greater, Less};
                Some(match op.as_str() {
                    "equals" => eq(&wanted),
                    "not_equal" => !eq(&wanted),
                    "in" => split_unescaped(value).iter().any(|v| eq(v)),
                    "not_in" => !split_unescaped(value).iter().any(|v| eq(v)),
                    "starts_with" => actual.to_lowercase().starts_with(&wanted.to_lowercase()),
                    "greater_than" => order() == Some(Greater),
                    "greater_equal" => matches!(order(), Some(Greater | Equal)),
                    "less_than" => order() == Some(Less),
                    "less_equal" => matches!(order(), Some(Less | Equal)),
                    _ => return None,
                })
            }
        }
    }
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a raw (still escaped) value on unescaped commas, unescaping each part.
fn split_unescaped(value: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    parts.last_mut().expect("never empty").push(next);
                }
            }
            ',' => parts.push(String::new()),
            c => parts.last_mut().expect("never empty").push(c),
        }
    }
    parts
}

pub(crate) fn parse_criteria(text: &str) -> Option<Criteria> {
    let mut parser = CriteriaParser {
        chars: text.chars().collect(),
        pos: 0,
    };
    let criteria = parser.expr()?;
    parser.skip_spaces();
    (parser.pos == parser.chars.len()).then_some(criteria)
}

struct CriteriaParser {
    chars: Vec<char>,
    pos: usize,
}

impl CriteriaParser {
    fn skip_spaces(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: char) -> Option<()> {
        self.skip_spaces();
        if self.chars.get(self.pos) != Some(&c) {
            return None;
        }
        self.pos += 1;
        Some(())
    }

    fn keyword(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        let matches = end <= self.chars.len()
            && self.chars[self.pos..end]
                .iter()
                .collect::<String>()
                .eq_ignore_ascii_case(word);
        if matches {
            self.pos = end;
        }
        matches
    }

    fn expr(&mut self) -> Option<Criteria> {
        let mut items = vec![self.group()?];
        let mut conjunction: Option<bool> = None;
        loop {
            self.skip_spaces();
            let and = if self.keyword("and") {
                true
            } else if self.keyword("or") {
                false
            } else {
                break;
            };
            // Mixing and/or needs explicit grouping.
            if conjunction.is_some_and(|c| c != and) {
                return None;
            }
            conjunction = Some(and);
            items.push(self.group()?);
        }
        Some(match conjunction {
            None => items.pop()?,
            Some(true) => Criteria::And(items),
            Some(false) => Criteria::Or(items),
        })
    }

    fn group(&mut self) -> Option<Criteria> {
        self.eat('(')?;
        self.skip_spaces();
        let inner = if self.chars.get(self.pos) == Some(&'(') {
            self.expr()?
        } else {
            self.condition()?
        };
        self.eat(')')?;
        Some(inner)
    }

    fn condition(&mut self) -> Option<Criteria> {
        let field = self.until(':')?.trim().to_string();
        self.pos += 1;
        let op = self.until(':')?.trim().to_lowercase();
        self.pos += 1;
        // The value runs to the next unescaped ')'; escapes stay for the matcher.
        let start = self.pos;
        while let Some(&c) = self.chars.get(self.pos) {
            match c {
                '\\' => self.pos += 2,
                ')' => break,
                _ => self.pos += 1,
            }
        }
        let end = self.pos.min(self.chars.len());
        let value: String = self.chars[start..end].iter().collect();
        (!field.is_empty() && !op.is_empty() && self.pos < self.chars.len())
            .then_some(Criteria::Cond { field, op, value })
    }

    fn until(&mut self, stop: char) -> Option<String> {
        let start = self.pos;
        while let Some(&c) = self.chars.get(self.pos) {
            if c == stop {
                return Some(self.chars[start..self.pos].iter().collect());
            }
            if c == '(' || c == ')' {
                return None;
            }
            self.pos += 1;
        }
        None
    }
}
