//! Errors and warnings as data: every one carries the file and the 1-based line and
//! column range of the node it is about, so the CLI, the editor and the bot can point at it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a diagnostic is: errors make a policy unusable, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A 1-based line and column range inside one source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

impl Span {
    pub(crate) fn from_yaml(span: saphyr_parser::Span) -> Self {
        let line = |m: saphyr_parser::Marker| u32::try_from(m.line()).unwrap_or(u32::MAX).max(1);
        let col =
            |m: saphyr_parser::Marker| u32::try_from(m.col()).unwrap_or(u32::MAX).saturating_add(1);
        let (start, end) = (span.start, span.end);
        let end = if end.index() < start.index() {
            start
        } else {
            end
        };
        Span {
            line: line(start),
            col: col(start),
            end_line: line(end),
            end_col: col(end),
        }
    }

    pub(crate) fn at_marker(marker: saphyr_parser::Marker) -> Self {
        Self::from_yaml(saphyr_parser::Span::new(marker, marker))
    }

    /// Moves a span found inside an embedded text (a policy given as a string in a case
    /// file) to where that text starts in the outer file.
    pub(crate) fn shifted(self, lines: u32, cols: u32) -> Self {
        Span {
            line: self.line.saturating_add(lines),
            col: self.col.saturating_add(cols),
            end_line: self.end_line.saturating_add(lines),
            end_col: self.end_col.saturating_add(cols),
        }
    }
}

/// One located message about an input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub file: String,
    #[serde(flatten)]
    pub span: Span,
    pub severity: Severity,
    pub code: String,
    pub message: String,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:col: error: message [code]`, the format editors and CI logs understand.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {}: {} [{}]",
            self.file, self.span.line, self.span.col, severity, self.message, self.code
        )
    }
}

/// A diagnostic before it knows which file it belongs to; the parser works on text and
/// the caller names the file once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub span: Span,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
}

impl Problem {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Problem {
            span,
            severity: Severity::Error,
            code,
            message: message.into(),
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Problem {
            span,
            severity: Severity::Warning,
            code,
            message: message.into(),
        }
    }

    pub fn in_file(self, file: &str) -> Diagnostic {
        Diagnostic {
            file: file.to_owned(),
            span: self.span,
            severity: self.severity,
            code: self.code.to_owned(),
            message: self.message,
        }
    }
}

/// Sorts diagnostics by position so output is stable and reads top to bottom.
pub(crate) fn sort(problems: &mut Vec<Problem>) {
    crate::order::stable_sort_by(problems, |a, b| {
        (a.span.line, a.span.col, a.code, &a.message).cmp(&(
            b.span.line,
            b.span.col,
            b.code,
            &b.message,
        ))
    });
}
