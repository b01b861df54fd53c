//! A requirement's candidates: runs of a name list that the evaluation context made once
//! and shares, so a decision listing hundreds of candidates copies none of them and
//! allocates no list per requirement. Serialised as a plain list of names.

use super::Name;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::Arc;

/// Runs kept without a list of their own. The people a requirement's pool leaves out
/// (the excluded, and those who approved) split it into runs; past this many the names
/// are copied into a list of their own, as before.
const INLINE_RUNS: usize = 4;

/// A list of names, in order: up to [`INLINE_RUNS`] runs of one shared list.
#[derive(Clone, Default)]
pub struct Names {
    /// The list the runs are taken from; `None` when empty.
    source: Option<Arc<[Name]>>,
    /// `(start, end)` in `source`, in order, none empty; the first `run_count` are used.
    runs: [(usize, usize); INLINE_RUNS],
    run_count: u8,
}

impl Names {
    /// The names in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            source: self.source.as_deref().unwrap_or_default(),
            runs: self.used_runs(),
            current: [].iter(),
        }
    }

    pub fn len(&self) -> usize {
        self.used_runs()
            .iter()
            .map(|&(start, end)| end.saturating_sub(start))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.run_count == 0
    }

    /// The names with `separator` between them, as `[Name]::join` gives.
    pub fn join(&self, separator: &str) -> String {
        let mut out = String::new();
        for (i, name) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(separator);
            }
            out.push_str(name);
        }
        out
    }

    pub fn to_vec(&self) -> Vec<Name> {
        self.iter().cloned().collect()
    }

    fn used_runs(&self) -> &[(usize, usize)] {
        self.runs
            .get(..usize::from(self.run_count))
            .unwrap_or_default()
    }
}

/// Builds [`Names`] from runs of `source`; copies them into a list of its own when there
/// are more runs than a [`Names`] holds.
pub(crate) struct NamesBuilder<'a> {
    source: &'a Arc<[Name]>,
    runs: [(usize, usize); INLINE_RUNS],
    run_count: usize,
    /// Once the runs overflow, every name so far, copied.
    copied: Option<Vec<Name>>,
}

impl<'a> NamesBuilder<'a> {
    pub fn new(source: &'a Arc<[Name]>) -> NamesBuilder<'a> {
        NamesBuilder {
            source,
            runs: [(0, 0); INLINE_RUNS],
            run_count: 0,
            copied: None,
        }
    }

    /// Appends `source[start..end]` (nothing if that is out of range or empty); a run
    /// that continues the last one extends it.
    // Always inlined: called once per candidate of a composite and per approver, where a
    // call costs as much as the work.
    #[inline(always)]
    pub fn push_run(&mut self, start: usize, end: usize) {
        let Some(run) = self.source.get(start..end) else {
            return;
        };
        if run.is_empty() {
            return;
        }
        if let Some(copied) = &mut self.copied {
            copied.extend_from_slice(run);
            return;
        }
        if let Some(last) = self
            .run_count
            .checked_sub(1)
            .and_then(|i| self.runs.get_mut(i))
        {
            if last.1 == start {
                last.1 = end;
                return;
            }
        }
        if let Some(slot) = self.runs.get_mut(self.run_count) {
            *slot = (start, end);
            self.run_count += 1;
            return;
        }
        let mut copied = Vec::new();
        for &(s, e) in &self.runs {
            copied.extend_from_slice(self.source.get(s..e).unwrap_or_default());
        }
        copied.extend_from_slice(run);
        self.copied = Some(copied);
    }

    pub fn finish(self) -> Names {
        match self.copied {
            Some(copied) => Names::from(copied),
            None if self.run_count == 0 => Names::default(),
            None => Names {
                source: Some(Arc::clone(self.source)),
                runs: self.runs,
                run_count: u8::try_from(self.run_count).unwrap_or(0),
            },
        }
    }
}

impl From<Vec<Name>> for Names {
    fn from(names: Vec<Name>) -> Names {
        if names.is_empty() {
            return Names::default();
        }
        let len = names.len();
        let mut runs = [(0, 0); INLINE_RUNS];
        if let Some(first) = runs.first_mut() {
            *first = (0, len);
        }
        Names {
            source: Some(names.into()),
            runs,
            run_count: 1,
        }
    }
}

impl FromIterator<Name> for Names {
    fn from_iter<I: IntoIterator<Item = Name>>(names: I) -> Names {
        Names::from(names.into_iter().collect::<Vec<Name>>())
    }
}

impl<'a> IntoIterator for &'a Names {
    type Item = &'a Name;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The names of a [`Names`], in order.
#[derive(Clone)]
pub struct Iter<'a> {
    source: &'a [Name],
    /// The runs not started yet.
    runs: &'a [(usize, usize)],
    current: std::slice::Iter<'a, Name>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Name;

    fn next(&mut self) -> Option<&'a Name> {
        loop {
            if let Some(name) = self.current.next() {
                return Some(name);
            }
            let (&(start, end), rest) = self.runs.split_first()?;
            self.runs = rest;
            self.current = self.source.get(start..end).unwrap_or_default().iter();
        }
    }
}

impl PartialEq for Names {
    fn eq(&self, other: &Names) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Names {}

/// As a `Vec<Name>` prints.
impl fmt::Debug for Names {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Names {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Names {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Names, D::Error> {
        Vec::<Name>::deserialize(deserializer).map(Names::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(n: usize) -> Arc<[Name]> {
        (0..n).map(|i| Name::new(format!("user{i:02}"))).collect()
    }

    fn plain(names: &Names) -> Vec<String> {
        names.iter().map(ToString::to_string).collect()
    }

    /// Adjacent runs merge; empty and out-of-range runs add nothing; past four runs the
    /// names are copied, in the same order.
    #[test]
    fn runs_merge_and_overflow_into_a_copy() {
        let all = source(20);
        let mut b = NamesBuilder::new(&all);
        b.push_run(0, 2);
        b.push_run(2, 3);
        b.push_run(5, 5);
        b.push_run(18, 25);
        let names = b.finish();
        assert_eq!(plain(&names), ["user00", "user01", "user02"]);
        assert_eq!(names.len(), 3);

        let mut b = NamesBuilder::new(&all);
        let runs = [(1, 2), (4, 6), (8, 9), (10, 11), (13, 15), (17, 18)];
        for (s, e) in runs {
            b.push_run(s, e);
        }
        let names = b.finish();
        let want: Vec<String> = runs
            .iter()
            .flat_map(|&(s, e)| (s..e).map(|i| format!("user{i:02}")))
            .collect();
        assert_eq!(plain(&names), want);
        assert_eq!(names.len(), want.len());
        assert_eq!(names.join(", "), want.join(", "));
    }

    /// In JSON, and read back, a plain list of names; equal lists are equal however
    /// they are split into runs.
    #[test]
    fn serialised_as_a_list() {
        let all = source(10);
        let mut b = NamesBuilder::new(&all);
        b.push_run(1, 3);
        b.push_run(4, 5);
        let names = b.finish();
        let list: Vec<Name> = ["user01", "user02", "user04"].map(Name::new).to_vec();
        let json = serde_json::to_string(&names).unwrap_or_default();
        assert_eq!(json, serde_json::to_string(&list).unwrap_or_default());
        let back: Names = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, names);
        assert_eq!(Names::from(list.clone()), names);
        assert_eq!(format!("{names:?}"), format!("{list:?}"));
        assert!(Names::default().is_empty());
        assert_eq!(
            serde_json::to_string(&Names::default()).ok().as_deref(),
            Some("[]")
        );
    }
}
