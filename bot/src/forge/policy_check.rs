//! The informational `signoff/policy` check on a change that edits the policy file:
//! what a forge shows, independent of how (GitHub: a check run with annotations).

use super::StatusState;

/// How bad an annotated line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnotationLevel {
    Failure,
    Warning,
}

/// A diagnostic pinned to a line and column range of the changed policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// Relative to the repository root.
    pub path: String,
    pub span: signoff::Span,
    pub level: AnnotationLevel,
    /// Plain text, one line.
    pub message: String,
}

/// The check as shown on a revision. It never gates: the gate keeps its own context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyCheck {
    /// The change (pull request, merge request) that edits the policy file.
    pub number: u64,
    pub sha: String,
    /// `signoff/policy`.
    pub context: String,
    /// `Success` when the new file is valid, `Failure` when it is not.
    pub state: StatusState,
    /// One line, at most 140 characters.
    pub title: String,
    /// The details: the changed decisions, or the diagnostics.
    pub markdown: String,
    pub annotations: Vec<Annotation>,
}
